"""Travel-time tables: a road graph and an OSRM server on the same synthetic town, side by side.

    python benchmarks/travel_bench.py [--points 200] [--cols 60 --rows 50] [--repeat 3] [--json]

Builds a RiverTown of cols x rows street crossings (60 x 50 = 3,000 road nodes, 200 m apart,
with one bridge over the river), then times a ``--points`` x ``--points`` table:

- road graph: loading the OSM file with osmnx, then the table with scipy's Dijkstra (the
  default engine) and with networkx's, and the same table through the disk cache (second run);
- OSRM: building the town with the car profile, starting osrm-routed with --max-table-size 100
  so a 200-point table takes 4 chunked requests, the table, and the table through the cache.

Prints a table and, with ``--json``, one JSON object. Times are wall seconds (best of --repeat).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nachtzorg.travel import CachedTravel, OsrmTravel, RoadGraphTravel, StraightLineTravel
from nachtzorg.travel.town import RiverTown


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--cols", type=int, default=60)
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-table-size", type=int, default=100)
    ap.add_argument("--no-osrm", action="store_true", help="skip the OSRM half")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    town = RiverTown(cols=args.cols, rows=args.rows, spacing_m=200.0)
    rng = np.random.default_rng(7)
    points = [town.point(float(rng.uniform(0, args.cols - 1)), float(rng.integers(0, args.rows)),
                         float(rng.uniform(-30, 30))) for _ in range(args.points)]
    res: dict[str, Any] = {"points": args.points, "town": f"{args.cols}x{args.rows}"}
    with tempfile.TemporaryDirectory() as tmp:
        osm = town.write(Path(tmp) / "town.osm")
        t_load, roads = best_of(1, lambda: RoadGraphTravel.from_osm_xml(osm))
        res["graph_nodes"] = roads.graph.number_of_nodes()
        res["graph_edges"] = roads.graph.number_of_edges()
        res["graph_load_s"] = round(t_load, 3)
        t_scipy, m_graph = best_of(args.repeat, lambda: roads.matrix(points))
        nx_roads = RoadGraphTravel(roads.graph, engine="networkx")
        t_nx, m_nx = best_of(1, lambda: nx_roads.matrix(points))
        assert (m_nx.duration_s == m_graph.duration_s).all()
        res["graph_table_scipy_s"] = round(t_scipy, 3)
        res["graph_table_networkx_s"] = round(t_nx, 3)
        cache = CachedTravel(roads, Path(tmp) / "cache")
        cache.matrix(points)
        t_hit, _ = best_of(args.repeat, lambda: CachedTravel(roads, Path(tmp) / "cache").matrix(points))
        res["graph_table_cached_s"] = round(t_hit, 4)
        straight = StraightLineTravel(speed_kmh=30, detour_factor=1.0).matrix(points).duration_s
        off = ~np.eye(args.points, dtype=bool)
        ratio = m_graph.duration_s[off] / np.maximum(straight[off], 1)
        res["road_over_straight_time_p50_p90_max"] = [round(float(x), 2) for x in np.percentile(ratio, [50, 90, 100])]

        if not args.no_osrm:
            from nachtzorg.travel.osrm_server import OsrmServer, build_osrm, osrm_binaries

            bins = osrm_binaries()
            t_build, base = best_of(1, lambda: build_osrm(osm, Path(tmp) / "osrm", bin_dir=bins))
            res["osrm_build_s"] = round(t_build, 3)
            with OsrmServer(base, bin_dir=bins, max_table_size=args.max_table_size) as server:
                osrm = OsrmTravel(server.url, max_table_size=args.max_table_size)
                before = osrm.requests
                t_osrm, m_osrm = best_of(args.repeat, lambda: osrm.matrix(points))
                res["osrm_requests_per_table"] = (osrm.requests - before) // args.repeat
                res["osrm_table_s"] = round(t_osrm, 3)
                oc = CachedTravel(osrm, Path(tmp) / "cache")
                oc.matrix(points)
                t_ohit, _ = best_of(args.repeat, lambda: CachedTravel(osrm, Path(tmp) / "cache").matrix(points))
                res["osrm_table_cached_s"] = round(t_ohit, 4)
                r = m_osrm.duration_s[off] / np.maximum(m_graph.duration_s[off], 1)
                res["osrm_over_graph_time_p10_p50_p90"] = [round(float(x), 2) for x in np.percentile(r, [10, 50, 90])]

    if args.json:
        print(json.dumps(res))
    else:
        width = max(len(k) for k in res)
        for k, v in res.items():
            print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
