"""The provider a scenario's travel settings ask for (a road graph is read once per process)."""

from __future__ import annotations

import threading
from pathlib import Path

from ..exceptions import TravelError
from ..model import MatrixSettings, OsrmSettings, RoadGraphSettings, StraightLineSettings
from .base import StraightLineTravel, TravelProvider

_GRAPHS: dict[tuple[str, str, int, int], TravelProvider] = {}
_LOCK = threading.Lock()


def _road_graph(settings: RoadGraphSettings) -> TravelProvider:
    from .graph import RoadGraphFile

    path = Path(settings.graph).expanduser()
    try:
        stat = path.stat()
    except OSError as e:
        raise TravelError(f"travel.graph: cannot read road graph file {str(path)!r}: {e.strerror}") from None
    key = (settings.model_dump_json(), str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        if key not in _GRAPHS:
            _GRAPHS[key] = RoadGraphFile(settings, cache_dir=settings.cache_dir)
        return _GRAPHS[key]


def provider_for(settings: StraightLineSettings | RoadGraphSettings | OsrmSettings | MatrixSettings,
                 cache: bool = True) -> TravelProvider:
    """The provider for a scenario's ``travel`` settings, wrapped in the matrix cache when
    ``cache_dir`` is set and ``cache`` is true. A road graph is read once per process (and again
    when its file changes).

    Live work (dispatch, simulated nights) asks with ``cache=False``: its tables include nurses'
    positions on the road, which never repeat, so caching them would only fill the disk.
    """
    provider: TravelProvider
    if isinstance(settings, StraightLineSettings):
        provider = StraightLineTravel.from_settings(settings)
    elif isinstance(settings, RoadGraphSettings):
        provider = _road_graph(settings)
    elif isinstance(settings, OsrmSettings):
        from .osrm import OsrmTravel

        provider = OsrmTravel.from_settings(settings)
    elif isinstance(settings, MatrixSettings):
        from .matrix import MatrixTravel

        return MatrixTravel.from_settings(settings)  # nothing to cache: the matrices are in the file
    else:  # pragma: no cover - the model's union is closed
        raise TravelError(f"unknown travel provider {getattr(settings, 'provider', settings)!r}")
    if cache and settings.cache_dir:
        from .cache import CachedTravel

        provider = CachedTravel(provider, settings.cache_dir)
    return provider
