#!/usr/bin/env python
"""Side-by-side VRPTW benchmark: nachtzorg vs plain OR-Tools (its documentation's VRPTW
example: path cheapest arc + guided local search) vs PyVRP (outside reference).

All three solve the same instances with the same time limit, one after the other (one solver
process at a time, one thread each), in the DIMACS convention (Euclidean distance truncated
to one decimal, cost = total distance, fleet = the instance's vehicle count). Every solution
is re-checked by nachtzorg's independent checker (``nachtzorg.io.vrptw.check_solution``); a
solution that misses a client or breaks a window/capacity counts as "no solution".

With several ``--seeds`` every solver solves every instance once per seed; the mean gap is over
all those solves, and each seed's mean is printed beside it (single 1 s runs of nachtzorg move by
a few tenths of a point over all 56 Solomon instances between seeds).

Usage (from the repository root)::

    nice python benchmarks/vrptw_side_by_side.py benchmarks/data/solomon/*.txt --time-limit 1 10
    nice python benchmarks/vrptw_side_by_side.py benchmarks/data/solomon --time-limit 1 \
        --solvers nachtzorg pyvrp --seeds 0 1 2 --json out/side_by_side.json

PyVRP is a benchmark-only dependency (``pip install nachtzorg[bench]``); the library never
imports it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from google.protobuf.duration_pb2 import Duration
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from nachtzorg.io.vrptw import VrptwInstance, best_known, check_solution, read_instance, to_problem
from nachtzorg.atomic import write_text as atomic_write_text
from nachtzorg.solve import SolveParams, solve
from nachtzorg.solve.ortools_model import build_model

Solver = Callable[[VrptwInstance, float, int], list[list[int]]]


def run_nachtzorg(inst: VrptwInstance, time_limit: float, seed: int) -> list[list[int]]:
    res = solve(to_problem(inst), SolveParams(time_limit_s=time_limit, seed=seed))
    return [r for r in res.routes if r]


def run_ortools_docs(inst: VrptwInstance, time_limit: float, seed: int) -> list[list[int]]:
    """OR-Tools as in its VRPTW guide: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, on our model."""
    t0 = time.perf_counter()
    model = build_model(to_problem(inst))
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    d = Duration()
    d.FromMilliseconds(max(1, int((time_limit - (time.perf_counter() - t0)) * 1000)))
    sp.time_limit.CopyFrom(d)
    sol = model.routing.SolveWithParameters(sp)
    if sol is None:
        return []
    return [r for r in model.routes_of(sol) if r]


def run_pyvrp(inst: VrptwInstance, time_limit: float, seed: int) -> list[list[int]]:
    """PyVRP's hybrid genetic search on the same integer data (units = tenths)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    dist = to_problem(inst).distance

    def tenths(x: float) -> int:
        return int(round(float(x) * 10))

    locs = [pyvrp.Location(x=float(c[0]), y=float(c[1])) for c in inst.coords]
    depots = [pyvrp.Depot(0, tw_early=tenths(inst.ready[0]), tw_late=tenths(inst.due[0]))]
    clients = [pyvrp.Client(i, delivery=[int(inst.demand[i])], service_duration=tenths(inst.service[i]),
                            tw_early=tenths(inst.ready[i]), tw_late=tenths(inst.due[i]))
               for i in range(1, inst.n_clients + 1)]
    vt = [pyvrp.VehicleType(inst.n_vehicles, capacity=[inst.capacity], tw_early=tenths(inst.ready[0]),
                            tw_late=tenths(inst.due[0]))]
    data = pyvrp.ProblemData(locs, clients, depots, vt, [dist], [dist])
    left = max(0.05, time_limit - (time.perf_counter() - t0))
    res = pyvrp.solve(data, MaxRuntime(left), seed=seed, display=False)

    def is_client(a) -> bool:
        return a.is_client() if callable(a.is_client) else bool(a.is_client)

    # one depot: client activity idx k (0-based among clients) is client number k + 1
    return [[a.idx + 1 for a in r if is_client(a)] for r in res.best.routes()]


SOLVERS: dict[str, Solver] = {"nachtzorg": run_nachtzorg, "ortools-docs": run_ortools_docs, "pyvrp": run_pyvrp}


def expand(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix.lower() in (".txt", ".vrp"))
        else:
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="+", help="instance files or directories")
    ap.add_argument("--time-limit", type=float, nargs="+", default=[1.0], help="seconds per instance (several ok)")
    ap.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=list(SOLVERS))
    ap.add_argument("--seeds", "--seed", dest="seeds", type=int, nargs="+", default=[0],
                    help="search seeds; every solver solves every instance once per seed (default 0)")
    ap.add_argument("--json", type=Path, default=None, help="also write all results to this file")
    args = ap.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        ap.error(f"--seeds {' '.join(map(str, args.seeds))}: each seed once")

    instances = [read_instance(p) for p in expand(args.instances)]
    bks = {i.name: (best_known(i) or (None, None))[0] for i in instances}
    rows = []
    for tl in args.time_limit:
        for seed in args.seeds:
            for inst in instances:
                for name in args.solvers:
                    t0 = time.perf_counter()
                    try:
                        routes = SOLVERS[name](inst, tl, seed)
                        err = None
                    except Exception as exc:  # a benchmark row, not a crash
                        routes, err = [], f"{type(exc).__name__}: {exc}"
                    wall = time.perf_counter() - t0
                    chk = check_solution(inst, routes)
                    ok = bool(routes) and chk.feasible
                    b = bks[inst.name]
                    gap = 100.0 * (chk.cost - b) / b if (ok and b) else None
                    rows.append({"time_limit_s": tl, "seed": seed, "instance": inst.name, "solver": name,
                                 "feasible": ok, "cost": chk.cost if ok else None, "bks": b, "gap_pct": gap,
                                 "wall_s": wall, "vehicles": chk.vehicles_used, "error": err,
                                 "issues": chk.issues[:3]})
                    g = "   -   " if gap is None else f"{gap:6.2f}%"
                    print(f"  {tl:>5g}s {seed:>3} {inst.name:<9} {name:<13} {g} {wall:6.2f}s"
                          + ("" if ok else f"  NO SOLUTION {err or chk.issues[:1]}"), flush=True)

    summary = []
    print()
    print(f"{'limit':>6} {'solver':<13} {'mean gap':>9} {'common':>8} {'no sol':>6} {'mean wall':>9}")
    for tl in args.time_limit:
        sub = [r for r in rows if r["time_limit_s"] == tl]
        # (instance, seed) pairs every solver solved
        solved_by_all = {(i.name, sd) for i in instances for sd in args.seeds
                         if all(r["gap_pct"] is not None for r in sub if (r["instance"], r["seed"]) == (i.name, sd))}
        stats = {}
        for name in args.solvers:
            mine = [r for r in sub if r["solver"] == name]
            gaps = [r["gap_pct"] for r in mine if r["gap_pct"] is not None]
            common = [r["gap_pct"] for r in mine if (r["instance"], r["seed"]) in solved_by_all]
            per_seed = {}
            for sd in args.seeds:
                g_sd = [r["gap_pct"] for r in mine if r["seed"] == sd and (r["instance"], sd) in solved_by_all]
                per_seed[str(sd)] = statistics.fmean(g_sd) if g_sd else None
            stats[name] = {
                "mean_gap_pct": statistics.fmean(gaps) if gaps else None,
                "mean_gap_common_pct": statistics.fmean(common) if common else None,
                "no_solution": sum(not r["feasible"] for r in mine),
                "mean_wall_s": statistics.fmean(r["wall_s"] for r in mine),
                "instances": len(mine) // len(args.seeds),
                "mean_gap_common_pct_by_seed": per_seed,
            }
            s = stats[name]
            fmt = lambda x: "   -   " if x is None else f"{x:7.2f}%"  # noqa: E731
            by_seed = " / ".join("-" if x is None else f"{x:.2f}" for x in per_seed.values())
            print(f"{tl:>5g}s {name:<13} {fmt(s['mean_gap_pct']):>9} {fmt(s['mean_gap_common_pct']):>8} "
                  f"{s['no_solution']:>6} {s['mean_wall_s']:>8.2f}s"
                  + (f"   common by seed {by_seed}" if len(args.seeds) > 1 else ""))
        ratios = {}
        nz = stats.get("nachtzorg", {}).get("mean_gap_common_pct")
        for other in ("pyvrp", "ortools-docs"):
            og = stats.get(other, {}).get("mean_gap_common_pct")
            if nz is not None and og:
                ratios[f"nachtzorg/{other}"] = nz / og
                print(f"{tl:>5g}s ratio nachtzorg/{other} (mean gap, common instances): {nz / og:.2f}")
        summary.append({"time_limit_s": tl, "solvers": stats, "ratios": ratios,
                        "common_instances": len({name for name, _ in solved_by_all}),
                        "common_solves": len(solved_by_all)})
    doc = {"instances": [i.name for i in instances], "seeds": args.seeds, "summary": summary, "rows": rows}
    print(json.dumps({"summary": summary}, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.json, json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
