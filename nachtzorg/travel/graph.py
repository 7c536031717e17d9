"""Travel times over a road graph (networkx), read from OpenStreetMap with osmnx or from GraphML.

Each point is snapped to its nearest road node; the trip from a point to its node (the
"access leg": parking, a short walk) is its great-circle length at ``access_speed_kmh``. Between
road nodes the fastest path by travel time is searched with networkx's Dijkstra: one search per
distinct source node reaches every target at once, and the metres of that fastest path are summed
along the search tree in the same pass. Results are integer **seconds** and **metres**, rounded
up, and may be asymmetric (one-way streets).

A pair of points with no road path between them, or a point farther than ``max_snap_m`` from every
road node, raises :class:`~nachtzorg.exceptions.TravelError` naming the point: the solver never sees
an infinite or zero time in place of a missing road.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..atomic import write_bytes
from ..exceptions import InputError, TravelError
from ..model import LatLon, RoadGraphSettings
from .base import EARTH_RADIUS_M, TravelMatrix, haversine_m

log = logging.getLogger(__name__)

#: Night-time speeds (km/h) per OSM highway type, used where a road has no maxspeed tag.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50,
    "primary": 60, "primary_link": 40, "secondary": 60, "secondary_link": 40,
    "tertiary": 50, "tertiary_link": 30, "unclassified": 50, "residential": 30,
    "living_street": 15, "service": 15, "road": 30,
}


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _chord_to_m(chord: np.ndarray) -> np.ndarray:
    """Great-circle metres for chord lengths between unit vectors."""
    return 2 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2, 0.0, 1.0))


def _first_number(value: Any) -> float | None:
    """A numeric edge attribute; GraphML and OSM may give it as text or a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class RoadGraphTravel:
    """Fastest-path travel over a directed road graph.

    ``graph`` is a :class:`networkx.DiGraph` whose nodes carry ``x`` (longitude) and ``y``
    (latitude) and whose edges carry ``time_s`` and ``length_m``; build one with
    :meth:`from_networkx` (an osmnx graph), :meth:`from_osm_xml` or :meth:`from_graphml`.
    """

    graph: nx.DiGraph
    max_snap_m: float = 500.0
    access_speed_kmh: float = 15.0
    engine: str = "scipy"
    _node_ids: np.ndarray = field(init=False, repr=False)
    _tree: Any = field(init=False, repr=False)
    _fingerprint: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from scipy.spatial import cKDTree

        if self.graph.number_of_nodes() == 0:
            raise TravelError("the road graph has no nodes")
        if self.engine not in ("scipy", "networkx"):
            raise ValueError(f"engine must be 'scipy' or 'networkx', got {self.engine!r}")
        ids, lat, lon = [], [], []
        for n, d in self.graph.nodes(data=True):
            if "x" not in d or "y" not in d:
                raise TravelError(f"road graph node {n!r} has no x/y (lon/lat) coordinates")
            ids.append(n)
            lon.append(float(d["x"]))
            lat.append(float(d["y"]))
        self._node_ids = np.array(ids, dtype=object)
        self._tree = cKDTree(_unit_vectors(np.array(lat), np.array(lon)))
        h = hashlib.sha256()
        h.update(f"{self.max_snap_m!r}:{self.access_speed_kmh!r}".encode())
        h.update(np.round(np.array([lat, lon]), 7).tobytes())
        for u, v, d in sorted(self.graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
            h.update(f"{u}>{v}:{d['time_s']:.3f}:{d['length_m']:.3f};".encode())
        self._fingerprint = h.hexdigest()[:24]
        self._csr: tuple[Any, np.ndarray, np.ndarray] | None = None

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_networkx(cls, graph: nx.Graph, time_attr: str = "travel_time", length_attr: str = "length",
                      **kwargs: Any) -> RoadGraphTravel:
        """From any networkx graph with node ``x``/``y`` and edge travel time (s) and length (m).

        Parallel edges of a multigraph collapse to the fastest one; an undirected graph counts
        every road as two-way.
        """
        g = nx.DiGraph()
        g.add_nodes_from((n, {"x": d.get("x"), "y": d.get("y")}) for n, d in graph.nodes(data=True))
        edges = graph.edges(data=True)
        for u, v, d in edges:
            t, m = _first_number(d.get(time_attr)), _first_number(d.get(length_attr))
            if t is None or m is None or not np.isfinite(t) or not np.isfinite(m) or t < 0 or m < 0:
                raise TravelError(f"road graph edge {u!r}->{v!r}: needs numeric {time_attr!r} (s) and "
                                  f"{length_attr!r} (m) >= 0, got {d.get(time_attr)!r} and {d.get(length_attr)!r}")
            pairs = [(u, v), (v, u)] if not graph.is_directed() else [(u, v)]
            for a, b in pairs:
                old = g.get_edge_data(a, b)
                if old is None or t < old["time_s"]:
                    g.add_edge(a, b, time_s=t, length_m=m)
        return cls(g, **kwargs)

    @classmethod
    def from_osm_xml(cls, path: str | Path, speeds_kmh: Mapping[str, float] | None = None,
                     default_speed_kmh: float = 30.0, **kwargs: Any) -> RoadGraphTravel:
        """From an OpenStreetMap XML extract, read offline with osmnx.

        Only ways with a ``highway`` tag are roads. Where a road has no ``maxspeed``, its speed
        comes from ``speeds_kmh`` by highway type (over :data:`DEFAULT_SPEEDS_KMH`), else
        ``default_speed_kmh``.
        """
        ox = _osmnx()
        try:
            # Unsimplified: every OSM node stays a graph node, so snapping to the nearest node is
            # accurate along long rural roads too (a simplified graph keeps only intersections).
            g = ox.graph_from_xml(str(path), simplify=False)
        except Exception as e:  # osmnx raises many kinds on a broken file
            raise TravelError(f"travel.graph: cannot read OSM extract {str(path)!r}: {e}") from None
        return cls._from_osmnx_graph(g, speeds_kmh, default_speed_kmh, **kwargs)

    @classmethod
    def from_graphml(cls, path: str | Path, speeds_kmh: Mapping[str, float] | None = None,
                     default_speed_kmh: float = 30.0, **kwargs: Any) -> RoadGraphTravel:
        """From a GraphML road graph (as saved by ``osmnx.save_graphml``); speeds are added as
        for OSM when its edges carry no ``travel_time``."""
        ox = _osmnx()
        try:
            g = ox.load_graphml(str(path))
        except Exception as e:
            raise TravelError(f"travel.graph: cannot read GraphML {str(path)!r}: {e}") from None
        if all("travel_time" in d for _, _, d in g.edges(data=True)):
            return cls.from_networkx(g, **kwargs)
        return cls._from_osmnx_graph(g, speeds_kmh, default_speed_kmh, **kwargs)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> RoadGraphTravel:
        """:meth:`from_graphml` for ``.graphml``, otherwise :meth:`from_osm_xml`."""
        if str(path).lower().endswith(".graphml"):
            return cls.from_graphml(path, **kwargs)
        return cls.from_osm_xml(path, **kwargs)

    @classmethod
    def from_settings(cls, settings: RoadGraphSettings) -> RoadGraphTravel:  # noqa: D102
        return cls.from_file(settings.graph, speeds_kmh=settings.speeds_kmh,
                             default_speed_kmh=settings.default_speed_kmh,
                             max_snap_m=settings.max_snap_m, access_speed_kmh=settings.access_speed_kmh)

    @classmethod
    def _from_osmnx_graph(cls, g: nx.MultiDiGraph, speeds_kmh: Mapping[str, float] | None,
                          default_speed_kmh: float, **kwargs: Any) -> RoadGraphTravel:
        ox = _osmnx()
        not_roads = [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True) if "highway" not in d]
        g.remove_edges_from(not_roads)
        g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
        if g.number_of_edges() == 0:
            raise TravelError("travel.graph: the file holds no roads (no ways with a highway tag)")
        speeds = {**DEFAULT_SPEEDS_KMH, **(speeds_kmh or {})}
        g = ox.add_edge_speeds(g, hwy_speeds=speeds, fallback=default_speed_kmh)
        g = ox.add_edge_travel_times(g)
        return cls.from_networkx(g, **kwargs)

    # -- queries ---------------------------------------------------------------------------
    def cache_key(self) -> str:
        """What determines this provider's answers: the graph's nodes and edges and the settings."""
        return f"road_graph:{self._fingerprint}"

    def snap(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest road node of each point (index into the graph's node list) and its distance (m)."""
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        chord, idx = self._tree.query(_unit_vectors(lat, lon))
        dist = _chord_to_m(np.asarray(chord))
        far = np.flatnonzero(dist > self.max_snap_m)
        if far.size:
            i = int(far[0])
            raise TravelError(
                f"point {i} ({lat[i]:.5f}, {lon[i]:.5f}) is {dist[i]:.0f} m from the nearest road of the "
                f"graph, more than max_snap_m={self.max_snap_m:g}: is it outside the graph's area?",
                points=tuple(int(k) for k in far))
        return np.asarray(idx, dtype=np.int64), dist

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        n = len(points)
        if n == 0:
            z = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrix(z, z)
        idx, access_m = self.snap(points)
        access_s = access_m / (self.access_speed_kmh / 3.6)
        unique_pos = list(dict.fromkeys(idx.tolist()))
        col = {u: k for k, u in enumerate(unique_pos)}
        search = self._node_paths_scipy if self.engine == "scipy" else self._node_paths_networkx
        node_t, node_m = search(unique_pos)
        bad = np.argwhere(~np.isfinite(node_t))
        if bad.size:
            a, b = (int(x) for x in bad[0])
            i = int(np.flatnonzero(idx == unique_pos[a])[0])
            j = int(np.flatnonzero(idx == unique_pos[b])[0])
            raise TravelError(
                f"no road path from point {i} ({points[i].lat:.5f}, {points[i].lon:.5f}) to point "
                f"{j} ({points[j].lat:.5f}, {points[j].lon:.5f}) in the road graph "
                "(one-way streets or a disconnected part of the network?)", points=(i, j))
        ui = np.array([col[u] for u in idx.tolist()])
        dur = access_s[:, None] + node_t[np.ix_(ui, ui)] + access_s[None, :]
        dist = access_m[:, None] + node_m[np.ix_(ui, ui)] + access_m[None, :]
        # Two points at one road node: the shorter of via-the-node and straight between them.
        same = ui[:, None] == ui[None, :]
        if same.any():
            lat = np.array([p.lat for p in points])
            lon = np.array([p.lon for p in points])
            direct = haversine_m(lat, lon)
            dist = np.where(same, np.minimum(dist, direct), dist)
            dur = np.where(same, np.minimum(dur, direct / (self.access_speed_kmh / 3.6)), dur)
        duration = np.ceil(dur - 1e-9).astype(np.int64)
        distance = np.ceil(dist - 1e-9).astype(np.int64)
        np.fill_diagonal(duration, 0)
        np.fill_diagonal(distance, 0)
        return TravelMatrix(duration, distance)

    def _node_paths_networkx(self, sources: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres of the fastest paths between road nodes (positions in the node
        list), with networkx: one Dijkstra per source reaches all targets.

        networkx settles nodes in order of travel time and fills ``dist`` in that order, so each
        node's predecessor comes before it and metres add up in one pass over the search tree.
        """
        ids = self._node_ids
        adj = self.graph.adj
        t_out = np.full((len(sources), len(sources)), np.inf)
        m_out = np.full((len(sources), len(sources)), np.inf)
        for a, src_pos in enumerate(sources):
            source = ids[src_pos]
            pred, t = nx.dijkstra_predecessor_and_distance(self.graph, source, weight="time_s")
            metres: dict[Any, float] = {source: 0.0}
            for node in t:
                if node != source:
                    p = pred[node][0]
                    metres[node] = metres[p] + adj[p][node]["length_m"]
            for b, dst_pos in enumerate(sources):
                dst = ids[dst_pos]
                if dst in t:
                    t_out[a, b], m_out[a, b] = t[dst], metres[dst]
        return t_out, m_out

    def _node_paths_scipy(self, sources: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`_node_paths_networkx`, with scipy's compiled Dijkstra from all sources at
        once; metres along each fastest-path tree by pointer jumping over the predecessors."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        if self._csr is None:
            pos = {n: k for k, n in enumerate(self._node_ids.tolist())}
            n = len(pos)
            u = np.array([pos[a] for a, _ in self.graph.edges], dtype=np.int64)
            v = np.array([pos[b] for _, b in self.graph.edges], dtype=np.int64)
            # Explicit zeros would be dropped as "no edge": a zero-time edge gets a tiny weight.
            w = np.array([max(d["time_s"], 1e-6) for _, _, d in self.graph.edges(data=True)])
            length = np.array([d["length_m"] for _, _, d in self.graph.edges(data=True)])
            keys = u * n + v
            order = np.argsort(keys)
            self._csr = (csr_matrix((w, (u, v)), shape=(n, n)), keys[order], length[order])
        csr, keys, length = self._csr
        n = csr.shape[0]
        src = np.array(sources, dtype=np.int64)
        t, pred = dijkstra(csr, directed=True, indices=src, return_predecessors=True)
        # Length of the tree edge into every node (0 at the source and where unreached) ...
        has = pred >= 0
        rows = np.broadcast_to(np.arange(n), pred.shape)
        edge_len = np.zeros(pred.shape)
        edge_len[has] = length[np.searchsorted(keys, pred[has] * n + rows[has])]
        # ... summed up to the source by pointer jumping: log2(depth) vectorised rounds.
        acc, up = edge_len, np.where(has, pred, -1)
        r = np.arange(len(src))[:, None]
        while (up >= 0).any():
            step = up >= 0
            safe = np.where(step, up, 0)
            acc = acc + np.where(step, acc[r, safe], 0.0)
            up = np.where(step, up[r, safe], -1)
        return t[:, src], acc[:, src]


class RoadGraphFile:
    """A road graph file, read on first use.

    Its cache key is the file's content hash plus the settings, so a table found in the
    :class:`~nachtzorg.travel.CachedTravel` cache needs no graph load at all. With ``cache_dir``
    (the scenario's ``travel.cache_dir``) the processed graph itself (nodes, and each edge's
    seconds and metres) is kept there as ``graph-<key>.npz``: a later process, such as the next
    night's batch or a dispatch call with other points, reads it instead of parsing OSM again.
    """

    def __init__(self, settings: RoadGraphSettings, cache_dir: str | Path | None = None) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self._travel: RoadGraphTravel | None = None
        self._key: str | None = None
        self._lock = threading.Lock()

    def cache_key(self) -> str:
        if self._key is None:
            h = hashlib.sha256(self.settings.model_dump_json(exclude={"cache_dir", "graph"}).encode())
            try:
                with open(self.settings.graph, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            except OSError as e:
                raise TravelError(f"travel.graph: cannot read road graph file {self.settings.graph!r}: "
                                  f"{e.strerror}") from None
            self._key = f"road_graph_file:{h.hexdigest()[:24]}"
        return self._key

    @property
    def travel(self) -> RoadGraphTravel:
        """The loaded graph (loaded once, thread-safe)."""
        with self._lock:
            if self._travel is None:
                self._travel = self._load()
            return self._travel

    def _load(self) -> RoadGraphTravel:
        kwargs = {"max_snap_m": self.settings.max_snap_m, "access_speed_kmh": self.settings.access_speed_kmh}
        path = None
        if self.cache_dir is not None:
            path = self.cache_dir / f"graph-{self.cache_key().split(':')[1]}.npz"
            if path.exists():
                try:
                    with np.load(path) as f:
                        g = nx.DiGraph()
                        g.add_nodes_from((int(n), {"x": float(x), "y": float(y)})
                                         for n, x, y in zip(f["node"], f["x"], f["y"]))
                        g.add_edges_from((int(u), int(v), {"time_s": float(t), "length_m": float(m)})
                                         for u, v, t, m in zip(f["u"], f["v"], f["time_s"], f["length_m"]))
                    return RoadGraphTravel(g, **kwargs)
                except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                    log.warning("road graph cache: cannot read %s (%s); reading the graph file", path.name, e)
        travel = RoadGraphTravel.from_settings(self.settings)
        if path is not None and all(isinstance(n, (int, np.integer)) for n in travel.graph.nodes):
            g = travel.graph
            nodes = list(g.nodes)
            edges = list(g.edges(data=True))
            arrays = {"node": np.array(nodes, dtype=np.int64),
                      "x": np.array([g.nodes[n]["x"] for n in nodes], dtype=float),
                      "y": np.array([g.nodes[n]["y"] for n in nodes], dtype=float),
                      "u": np.array([e[0] for e in edges], dtype=np.int64),
                      "v": np.array([e[1] for e in edges], dtype=np.int64),
                      "time_s": np.array([e[2]["time_s"] for e in edges], dtype=float),
                      "length_m": np.array([e[2]["length_m"] for e in edges], dtype=float)}
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            try:
                write_bytes(path, buf.getvalue())
            except (OSError, InputError) as e:
                log.warning("road graph cache: cannot write %s (%s)", path, e)
        return travel

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        return self.travel.matrix(points)


def _osmnx() -> Any:
    try:
        import osmnx
    except ImportError:  # pragma: no cover - depends on the install
        raise TravelError("reading OSM or GraphML road graphs needs osmnx: pip install 'nachtzorg[roads]'") from None
    return osmnx
