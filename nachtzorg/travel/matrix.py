"""Travel from given matrices: times and distances a user got from their own routing service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import TravelError
from ..model import LatLon, MatrixSettings
from .base import TravelMatrix


@dataclass(frozen=True)
class MatrixTravel:
    """Looks points up among ``locations`` (exact coordinates) and answers from the matrices,
    rounded up to whole seconds and metres."""

    locations: tuple[tuple[float, float], ...]
    duration_s: np.ndarray
    distance_m: np.ndarray

    @classmethod
    def from_settings(cls, s: MatrixSettings) -> MatrixTravel:
        return cls(tuple((p.lat, p.lon) for p in s.locations),
                   np.ceil(np.asarray(s.duration_s, dtype=float) - 1e-9).astype(np.int64),
                   np.ceil(np.asarray(s.distance_m, dtype=float) - 1e-9).astype(np.int64))

    def cache_key(self) -> str:
        return f"matrix:{hash((self.locations, self.duration_s.tobytes(), self.distance_m.tobytes()))}"

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        index = {p: i for i, p in enumerate(self.locations)}
        rows = []
        for k, p in enumerate(points):
            i = index.get((p.lat, p.lon))
            if i is None:
                raise TravelError(f"point ({p.lat:.6f}, {p.lon:.6f}) is not among the travel matrix's locations",
                                  points=(k,))
            rows.append(i)
        ix = np.ix_(rows, rows)
        return TravelMatrix(self.duration_s[ix], self.distance_m[ix])
