"""Travel times and distances between points: a provider protocol and its implementations.

- :class:`StraightLineTravel`: great-circle distance x detour factor; needs no data or network.
- :class:`RoadGraphTravel`: fastest paths over a networkx road graph (OSM via osmnx, GraphML).
- :class:`OsrmTravel`: a client of an OSRM server's table service.
- :class:`CachedTravel`: wraps any provider with an on-disk matrix cache.

All give integer seconds and metres (:class:`TravelMatrix`). :func:`provider_for` turns a
scenario's ``travel`` settings into a provider (:mod:`nachtzorg.compare` shows what a change of
travel source does to a night).
"""

from .base import EARTH_RADIUS_M, StraightLineTravel, TravelMatrix, TravelProvider, haversine_m
from .cache import CachedTravel
from .factory import provider_for
from .graph import RoadGraphFile, RoadGraphTravel
from .matrix import MatrixTravel
from .osrm import OsrmTravel
from .town import RiverTown

__all__ = ["EARTH_RADIUS_M", "CachedTravel", "MatrixTravel", "OsrmTravel", "RiverTown", "RoadGraphFile", "RoadGraphTravel",
           "StraightLineTravel", "TravelMatrix", "TravelProvider", "haversine_m", "provider_for"]
