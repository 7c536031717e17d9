"""Travel times and distances between points: one provider protocol, a no-network default.

A provider turns a list of points into two integer matrices: driving time in **seconds** and
driving distance in **metres**. Anything with a ``matrix(points)`` method is a provider, so a
road graph (networkx/osmnx) or an OSRM table service plugs in without touching the solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..exceptions import TravelError
from ..model import LatLon, StraightLineSettings

#: Mean Earth radius used by the haversine formula, metres (IUGG).
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class TravelMatrix:
    """Square integer matrices over a list of points: ``duration_s[i, j]``, ``distance_m[i, j]``."""

    duration_s: np.ndarray
    distance_m: np.ndarray

    def __post_init__(self) -> None:
        for name in ("duration_s", "distance_m"):
            m = getattr(self, name)
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                raise TravelError(f"{name} must be a square matrix, got shape {m.shape}")
            if m.dtype.kind not in "iu":
                raise TravelError(f"{name} must hold integers (seconds/metres), got {m.dtype}")
            if (m < 0).any():
                raise TravelError(f"{name} has negative entries")
        if self.duration_s.shape != self.distance_m.shape:
            raise TravelError("duration_s and distance_m differ in shape")

    def take(self, index: np.ndarray) -> TravelMatrix:
        """The sub-matrix over points ``index`` (repeats allowed)."""
        ix = np.ix_(index, index)
        return TravelMatrix(self.duration_s[ix], self.distance_m[ix])


@runtime_checkable
class TravelProvider(Protocol):
    """Anything that gives a :class:`TravelMatrix` for a list of points."""

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix: ...


def haversine_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres between all pairs of points (vectorised)."""
    phi = np.radians(lat)[:, None]
    lam = np.radians(lon)[:, None]
    dphi = phi - phi.T
    dlam = lam - lam.T
    a = np.sin(dphi / 2) ** 2 + np.cos(phi) * np.cos(phi.T) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class StraightLineTravel:
    """Great-circle distance x detour factor, driven at a constant speed. Needs no network.

    Distances are rounded up to whole metres and times up to whole seconds, so a direct trip
    is never shorter than the straight line. ``max_leg_km`` guards against points outside the
    region (a typo in a coordinate): a longer leg raises :class:`TravelError`.
    """

    speed_kmh: float = 45.0
    detour_factor: float = 1.35
    max_leg_km: float | None = 250.0

    @classmethod
    def from_settings(cls, settings: StraightLineSettings) -> StraightLineTravel:
        return cls(speed_kmh=settings.speed_kmh, detour_factor=settings.detour_factor)

    def cache_key(self) -> str:
        """What determines this provider's answers (for :class:`~nachtzorg.travel.CachedTravel`)."""
        return f"straight_line:{self.speed_kmh!r}:{self.detour_factor!r}"

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        if len(points) == 0:
            z = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrix(z, z)
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        road_m = haversine_m(lat, lon) * self.detour_factor
        if self.max_leg_km is not None and road_m.max() > self.max_leg_km * 1000:
            i, j = np.unravel_index(int(road_m.argmax()), road_m.shape)
            raise TravelError(
                f"points {i} ({lat[i]:.4f}, {lon[i]:.4f}) and {j} ({lat[j]:.4f}, {lon[j]:.4f}) are "
                f"{road_m[i, j] / 1000:.0f} km apart by road, more than max_leg_km={self.max_leg_km:g}: "
                "is a coordinate outside the region?", points=(int(i), int(j))
            )
        distance = np.ceil(road_m - 1e-9).astype(np.int64)
        duration = np.ceil(road_m / (self.speed_kmh / 3.6) - 1e-9).astype(np.int64)
        np.fill_diagonal(distance, 0)
        np.fill_diagonal(duration, 0)
        return TravelMatrix(duration, distance)
