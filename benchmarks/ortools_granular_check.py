"""Do OR-Tools' granular neighbourhoods (``ls_operator_neighbors_ratio``) work in this version?

A standalone check on a plain OR-Tools VRPTW model: no nachtzorg code, only ``ortools``, ``numpy``
and ``vrplib``, so the same script runs in a virtual environment with any OR-Tools version and can
go into an upstream bug report as it is. For each neighbour ratio it builds the model afresh and
runs one greedy descent (no metaheuristic) from parallel cheapest insertion, then prints JSON:
wall time (seconds), first and final objective (Solomon distance in tenths, the DIMACS
convention: Euclidean truncated to one decimal), and the neighbours the local search scanned.

Measured on four Solomon instances (``benchmarks/HISTORY.md``, fourteenth round). In 9.11 a ratio
of 0.2 ends the descent in about the same time or less, with fewer neighbours scanned (R202: 57 k
against 155 k). In 9.12 and 9.15 the same descent scans millions of neighbours for a handful of
moves and stalls: on C105 and R101 it was still running at the 10 s cap, where the full
neighbourhood finishes in 0.1-0.7 s. A working ratio is the one OR-Tools setting left that would
cut the neighbours each descent scans, so re-run this on every new OR-Tools release:

    python -m venv /tmp/ortools-next && /tmp/ortools-next/bin/pip install ortools numpy vrplib
    /tmp/ortools-next/bin/python benchmarks/ortools_granular_check.py benchmarks/data/solomon/RC105.txt
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import ortools
import vrplib
from ortools.constraint_solver import pywrapcp, routing_enums_pb2


def _model(path: Path):
    inst = vrplib.read_instance(str(path), instance_format="solomon")
    xy = np.asarray(inst["node_coord"], dtype=float)
    # DIMACS convention: Euclidean distance truncated to one decimal, in tenths (integers)
    dist = np.floor(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 10).astype(np.int64)
    service = (np.asarray(inst["service_time"], dtype=float) * 10).astype(np.int64)
    tw = (np.asarray(inst["time_window"], dtype=float) * 10).astype(np.int64)
    demand = [int(d) for d in inst["demand"]]
    n, m = len(xy), int(inst["vehicles"])
    manager = pywrapcp.RoutingIndexManager(n, m, 0)
    params = pywrapcp.DefaultRoutingModelParameters()
    params.solver_parameters.profile_local_search = True
    routing = pywrapcp.RoutingModel(manager, params)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist.tolist()))
    horizon = int(tw[0, 1])
    routing.AddDimension(routing.RegisterTransitMatrix((dist + service[:, None]).tolist()), horizon, horizon,
                         False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(int(tw[node, 0]), int(tw[node, 1]))
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(demand), 0,
                                            [int(inst["capacity"])] * m, True, "load")
    return routing


def _neighbours(profile: str) -> int | None:
    """Neighbours scanned by the local search (the operator table's total row)."""
    rows = [line for line in profile.splitlines() if line.strip().startswith("Total")]
    return int(re.split(r"\s*\|\s*", rows[0].strip())[1]) if rows else None


def check(path: Path, ratio: float, time_limit_s: float) -> dict:
    routing = _model(path)
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    sp.ls_operator_neighbors_ratio = ratio
    sp.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    first = []
    routing.AddAtSolutionCallback(lambda: first.append(routing.CostVar().Value()) if not first else None)
    t0 = time.perf_counter()
    solution = routing.SolveWithParameters(sp)
    wall = time.perf_counter() - t0
    return {"ratio": ratio, "wall_s": round(wall, 3), "hit_time_limit": wall >= 0.95 * time_limit_s,
            "first_objective": first[0] if first else None,
            "objective": solution.ObjectiveValue() if solution else None,
            "neighbours": _neighbours(routing.solver().LocalSearchProfile())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instance", type=Path, help="a Solomon instance file (e.g. RC105.txt)")
    ap.add_argument("--ratios", type=float, nargs="+", default=[1.0, 0.5, 0.2])
    ap.add_argument("--time-limit", type=float, default=20.0, help="seconds per descent (a cap)")
    args = ap.parse_args(argv)
    if not args.instance.is_file():
        ap.error(f"instance: no such file {str(args.instance)!r}")
    if any(not 0 < r <= 1 for r in args.ratios):
        ap.error(f"--ratios: each must be in (0, 1], got {args.ratios}")
    runs = [check(args.instance, r, args.time_limit) for r in args.ratios]
    print(json.dumps({"ortools": ortools.__version__, "instance": args.instance.stem, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
