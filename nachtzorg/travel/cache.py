"""An on-disk cache of travel matrices, so the nightly batch and repeated runs read a file
instead of asking a road graph or an OSRM server again.

A table is keyed by the provider's :meth:`cache_key` (its network and settings: a changed road
graph, speed table or OSRM data version gives a new key) and by the points, rounded to 1e-7
degrees (about 1 cm). Files are ``<key>.npz`` written atomically, so a crash or two processes
writing at once never leave a half-written table; a file that cannot be read is recomputed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import write_bytes
from ..exceptions import InputError, TravelError
from ..model import LatLon
from .base import TravelMatrix, TravelProvider

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$NACHTZORG_CACHE_DIR/travel``, else ``$XDG_CACHE_HOME/nachtzorg/travel`` or ``~/.cache/nachtzorg/travel``."""
    if os.environ.get("NACHTZORG_CACHE_DIR"):
        return Path(os.environ["NACHTZORG_CACHE_DIR"]) / "travel"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nachtzorg" / "travel"


class CachedTravel:
    """Wraps a provider with an on-disk matrix cache.

    ``min_points``: smaller tables (a dispatcher's one-call query) are not worth a file and go
    straight to the provider. ``hits`` and ``misses`` count what the cache did.
    """

    def __init__(self, provider: TravelProvider, cache_dir: str | Path | None = None, min_points: int = 10) -> None:
        if not callable(getattr(provider, "cache_key", None)):
            raise TypeError(f"{type(provider).__name__} has no cache_key(): it cannot be cached safely")
        self.provider = provider
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self.min_points = min_points
        self.hits = 0
        self.misses = 0

    def cache_key(self) -> str:
        return self.provider.cache_key()  # type: ignore[attr-defined,no-any-return]

    def key(self, points: Sequence[LatLon]) -> str:
        """File name stem of the table for these points with this provider's current network."""
        h = hashlib.sha256(self.cache_key().encode())
        h.update(np.round(np.array([[p.lat, p.lon] for p in points], dtype=float), 7).tobytes())
        return h.hexdigest()[:40]

    def path(self, points: Sequence[LatLon]) -> Path:
        return self.cache_dir / f"{self.key(points)}.npz"

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        if len(points) < self.min_points:
            return self.provider.matrix(points)
        path = self.path(points)
        if path.exists():
            try:
                with np.load(path) as f:
                    m = TravelMatrix(f["duration_s"].astype(np.int64), f["distance_m"].astype(np.int64))
                if m.duration_s.shape == (len(points), len(points)):
                    self.hits += 1
                    return m
                log.warning("travel cache: %s has the wrong shape; recomputing", path.name)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, TravelError) as e:
                log.warning("travel cache: cannot read %s (%s); recomputing", path.name, e)
        m = self.provider.matrix(points)
        self.misses += 1
        self._write(path, m)
        return m

    def _write(self, path: Path, m: TravelMatrix) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, duration_s=m.duration_s, distance_m=m.distance_m)
        try:
            write_bytes(path, buf.getvalue())
        except (OSError, InputError) as e:  # a full or read-only disk must not stop the night's plan
            log.warning("travel cache: cannot write %s (%s); continuing without it", path, e)
