#!/usr/bin/env python
"""Side-by-side home-health-care benchmark (Mankowska, Meisel & Bierwirth 2014): every solver in
``SOLVERS`` on the same instances with the same time limit, one after the other, each solution
re-scored by the independent evaluator ``nachtzorg.io.hhc.evaluate_hhc``.

The reference is a plain OR-Tools routing model written for this benchmark only (the library
never imports it):

* one routing node per (patient, required service); the caregivers allowed at a node are those
  qualified for its service: the domain of its ``VehicleVar`` (``SetAllowedVehiclesForIndex``
  rejects every Python sequence in OR-Tools 9.15), mirrored by a capacity-0 dimension "skills"
  whose transit is 1 out of a node the caregiver lacks the skill for, so that the local-search
  filters reject such moves instead of the slower CP check;
* a time dimension whose transit is the caregiver's service duration + travel; a node's cumul is
  its start of service (range ``[e_i, horizon]``, waiting as slack); caregivers leave the depot at 0;
* a two-service patient's gap as constraints on the two cumuls (``solver.Add``: equality for gap
  0/0, otherwise ``mind <= t_hi - t_lo <= maxd``), repeated as two node precedences of the time
  dimension (``AddNodePrecedence``) because the filters see those and not ``solver.Add``; and two
  different caregivers (``VehicleVar(a) != VehicleVar(b)``);
* total tardiness as a soft upper bound at ``l_i`` on every node's cumul
  (``SetCumulVarSoftUpperBound``, coefficient 1: a minute late costs as much as a minute driven);
* maximum tardiness through a second dimension "late" with zero transits and free slack: its cumul
  never decreases along a route, every node's "late" cumul is bound below by that node's tardiness
  (``solver.Add``), so a route's end cumul is at least the largest tardiness on it, and the
  dimension's global span cost (coefficient 1, starts fixed at 0) charges the largest of those;
* arc cost = distance.
The maximum-tardiness dimension slows the local search and the first solution (its global span
makes OR-Tools' filters solve one linear program over all routes); ``SOLVERS`` therefore also
holds the same model without it ("ortools-plain-no-tmax"), scored on the full objective.
Minutes are scaled by 100 into integers; travel times are rounded *up*, so a start read back as
cumul / 100 is never before the true arrival (arc costs are rounded to nearest; the evaluator
recomputes the objective in floats anyway). The objective is thus 3 x the paper's, scaled.

Search: a greedy first solution, local cheapest-cost insertion (path cheapest arc, OR-Tools'
usual greedy start, finds no first solution at all on many of these instances: it cannot see the
gap constraints), then guided local search with OR-Tools' default operators. The seed is unused
(OR-Tools' routing search is deterministic for a solution limit; a time limit is not).

Usage (from the repository root)::

    nice python benchmarks/hhc_side_by_side.py benchmarks/data/hhc/*.txt --time-limit 10 --json out/hhc.json

Prints one row per instance and solver (objective, best known, gap %, valid, wall s), the mean gap
per subset (A = 10 patients ... G = 300), then one JSON document (the ``--json`` file also holds
every route).

Cite the benchmark as D.S. Mankowska, F. Meisel, C. Bierwirth, Health Care Management Science 17
(2014) 15-30, doi:10.1007/s10729-013-9243-1.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf.duration_pb2 import Duration
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from nachtzorg.exceptions import InputError
from nachtzorg.io.hhc import HhcInstance, best_known_hhc, evaluate_hhc, read_hhc

#: Integer units per minute in the OR-Tools model.
SCALE = 100
#: Subset letter by number of patients (Mankowska et al.'s sets A..G).
SUBSETS = {10: "A", 25: "B", 50: "C", 75: "D", 100: "E", 200: "F", 300: "G"}

Stop = dict[str, Any]
#: A solver: (instance, time limit in seconds, seed) -> one list of stops per caregiver, in file
#: order, each ``{"node": int, "service": int, "start": float}`` (the evaluator's format); an empty
#: list when it found no solution.
Solver = Callable[[HhcInstance, float, int], list[list[Stop]]]


def label(inst: HhcInstance) -> str:
    """``A1`` for ``InstanzCPLEX_HCSRP_10_1``: subset letter by size, then the file's number."""
    m = re.search(r"_(\d+)$", inst.name)
    return SUBSETS.get(inst.n_patients, f"n{inst.n_patients}-") + (m.group(1) if m else inst.name)


def _up(minutes: float) -> int:
    # round(.., 6) first so 34.0 stored as 34.0000000001 does not become 3401
    return int(math.ceil(round(minutes * SCALE, 6)))


def run_ortools_reference(inst: HhcInstance, time_limit: float | None, seed: int = 0, *,
                          solution_limit: int | None = None, max_tardiness: bool = True,
                          first_solution: str = "LOCAL_CHEAPEST_COST_INSERTION", skill_dimension: bool = True,
                          precedences: bool = True) -> list[list[Stop]]:
    """The plain OR-Tools formulation (see the module docstring); ``[]`` when no solution is found.

    ``time_limit`` (seconds, model building included) and/or ``solution_limit`` bound the search.
    The other options switch parts of the model off for comparison: ``max_tardiness=False`` drops
    the "late" dimension, ``skill_dimension=False`` the "skills" dimension, ``precedences=False``
    the node precedences; ``first_solution`` names a ``FirstSolutionStrategy``.
    """
    del seed  # routing search is deterministic
    t0 = time.perf_counter()
    copies = [(i, s) for i in inst.patients for s in inst.services(i)]
    where = {c: a + 1 for a, c in enumerate(copies)}  # routing node of (patient, service); 0 = depot
    loc = [0] + [i for i, _ in copies]
    n, k_count, end = len(loc), inst.n_caregivers, inst.end_depot

    def travel(a: int, b: int) -> float:
        return float(inst.distance[loc[a], end if b == 0 else loc[b]])

    travel_up = [[_up(travel(a, b)) for b in range(n)] for a in range(n)]
    cost = [[int(round(travel(a, b) * SCALE)) for b in range(n)] for a in range(n)]
    horizon = _up(float(inst.due.max()) + float(inst.duration.max(axis=(1, 2)).sum())
                  + float(inst.distance.max(axis=1).sum()))

    manager = pywrapcp.RoutingIndexManager(n, k_count, 0)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost))

    # time transit per caregiver: its own service duration + travel (one matrix per distinct duration row)
    registered: dict[tuple[int, ...], int] = {}
    per_vehicle = []
    for k in range(k_count):
        dur = (0,) + tuple(_up(float(inst.duration[i, k, s])) for i, s in copies)
        if dur not in registered:
            registered[dur] = routing.RegisterTransitMatrix(
                [[dur[a] + travel_up[a][b] for b in range(n)] for a in range(n)])
        per_vehicle.append(registered[dur])
    routing.AddDimensionWithVehicleTransits(per_vehicle, horizon, horizon, True, "time")
    tdim = routing.GetDimensionOrDie("time")
    if skill_dimension:
        # leaving a node the caregiver is not qualified for costs 1 unit of a capacity-0 dimension,
        # so the local-search filters reject such moves before the CP check sees them
        by_skills: dict[tuple[bool, ...], int] = {}
        skill_cb = []
        for k in range(k_count):
            key = tuple(bool(x) for x in inst.qualified[k])
            if key not in by_skills:
                by_skills[key] = routing.RegisterUnaryTransitVector([0] + [0 if key[s] else 1 for _, s in copies])
            skill_cb.append(by_skills[key])
        routing.AddDimensionWithVehicleTransits(skill_cb, 0, 0, True, "skills")

    for (i, s), a in where.items():
        idx = manager.NodeToIndex(a)
        # SetAllowedVehiclesForIndex's SWIG wrapper rejects every Python sequence in 9.15
        routing.VehicleVar(idx).SetValues([k for k in range(k_count) if inst.qualified[k, s]])
        tdim.CumulVar(idx).SetRange(_up(float(inst.ready[i])), horizon)
        tdim.SetCumulVarSoftUpperBound(idx, int(round(float(inst.due[i]) * SCALE)), 1)
    for i in inst.double:
        lo, hi = (manager.NodeToIndex(where[(i, s)]) for s in inst.services(i))
        t_lo, t_hi = tdim.CumulVar(lo), tdim.CumulVar(hi)
        mind, maxd = (int(round(float(g) * SCALE)) for g in (inst.min_gap[i], inst.max_gap[i]))
        if mind == maxd == 0:
            solver.Add(t_hi == t_lo)
        else:
            solver.Add(t_hi - t_lo >= mind)
            solver.Add(t_hi - t_lo <= maxd)
        if precedences:
            # the same two inequalities as node precedences, which the local-search filters see
            tdim.AddNodePrecedence(lo, hi, mind)
            tdim.AddNodePrecedence(hi, lo, -maxd)
        solver.Add(routing.VehicleVar(lo) != routing.VehicleVar(hi))

    if max_tardiness:
        zero = routing.RegisterUnaryTransitVector([0] * n)
        routing.AddDimension(zero, horizon, horizon, True, "late")
        late = routing.GetDimensionOrDie("late")
        for (i, _), a in where.items():
            idx = manager.NodeToIndex(a)
            solver.Add(late.CumulVar(idx) >= tdim.CumulVar(idx) - int(round(float(inst.due[i]) * SCALE)))
        late.SetGlobalSpanCostCoefficient(1)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if time_limit is not None:
        d = Duration()
        d.FromMilliseconds(max(1, int((time_limit - (time.perf_counter() - t0)) * 1000)))
        params.time_limit.CopyFrom(d)
    if solution_limit is not None:
        params.solution_limit = solution_limit
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return []
    routes: list[list[Stop]] = []
    for k in range(k_count):
        route, idx = [], sol.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(idx):
            i, s = copies[manager.IndexToNode(idx) - 1]
            route.append({"node": i, "service": s, "start": sol.Value(tdim.CumulVar(idx)) / SCALE})
            idx = sol.Value(routing.NextVar(idx))
        routes.append(route)
    return routes


# ---------------------------------------------------------------------------------------------
# SOLVERS: the columns of the side by side. Add a solver here (name -> callable(instance,
# time_limit_s, seed) -> routes in the evaluator's format), e.g. "nachtzorg" once the library
# poses this problem; every solver runs on every instance, one after the other.
# ---------------------------------------------------------------------------------------------
def run_nachtzorg(inst: HhcInstance, time_limit: float | None, seed: int = 0) -> list[list[Stop]]:
    """nachtzorg as a user runs it: the instance as an ordinary scenario, ``plan_night``."""
    from nachtzorg import SolveParams, plan_night
    from nachtzorg.io.hhc import hhc_scenario, plan_routes

    params = SolveParams(time_limit_s=time_limit, seed=seed) if time_limit else SolveParams(time_limit_s=None,
                                                                                            solution_limit=50)
    return plan_routes(inst, plan_night(hhc_scenario(inst), params))


SOLVERS: dict[str, Solver] = {
    "nachtzorg": run_nachtzorg,
    "ortools-plain": run_ortools_reference,
    # the same model without the "late" dimension: the maximum tardiness is still scored, not modelled
    "ortools-plain-no-tmax": functools.partial(run_ortools_reference, max_tardiness=False),
}
#: The column the others' gaps are divided by ("ratio"); the first solver run when it is not run.
REFERENCE = "ortools-plain"


def expand(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(p.glob("*.txt")) if p.is_dir() else [p]
    return out


def _mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="+", help="instance files or directories of them")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and solver (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=list(SOLVERS))
    ap.add_argument("--json", type=Path, default=None, help="also write the results, routes included, to this file")
    args = ap.parse_args(argv)

    try:
        instances = [read_hhc(p) for p in expand(args.instances)]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    print(f"{'instance':<9} {'solver':<22} {'objective':>10} {'best known':>10} {'gap %':>8} {'valid':>5} "
          f"{'wall s':>7}")
    for inst in instances:
        bk = best_known_hhc(inst)
        for name in args.solvers:
            t0 = time.perf_counter()
            try:
                routes, err = SOLVERS[name](inst, args.time_limit, args.seed), None
            except Exception as exc:  # a benchmark row, not a crash
                routes, err = [], f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - t0
            ev = evaluate_hhc(inst, routes) if routes else None
            valid = bool(ev and ev.valid)
            gap = 100.0 * (ev.objective - bk) / bk if (valid and bk) else None
            rows.append({"instance": label(inst), "file": inst.path.name, "solver": name, "valid": valid,
                         "objective": ev.objective if ev else None, "best_known": bk, "gap_pct": gap,
                         "wall_s": wall, "distance": ev.distance if ev else None,
                         "total_tardiness": ev.total_tardiness if ev else None,
                         "max_tardiness": ev.max_tardiness if ev else None,
                         "issues": list(ev.issues[:5]) if ev else [err or "no solution"], "routes": routes})
            obj = f"{ev.objective:10.2f}" if ev else f"{'-':>10}"
            bks = f"{bk:10.2f}" if bk is not None else f"{'-':>10}"
            g = f"{gap:8.2f}" if gap is not None else f"{'-':>8}"
            print(f"{label(inst):<9} {name:<22} {obj} {bks} {g} {'yes' if valid else 'NO':>5} {wall:7.2f}"
                  + ("" if valid else f"  {rows[-1]['issues'][0]}"), flush=True)

    subsets: dict[str, dict[str, Any]] = {}
    ref = REFERENCE if REFERENCE in args.solvers else args.solvers[0]
    print(f"\n{'subset':<6} {'solver':<22} {'n':>3} {'valid':>5} {'mean gap %':>10} {'common gap %':>12} "
          f"{'ratio':>6}  (common: instances every solver solved; ratio: common gap / {ref}'s)")
    for sub in sorted({r["instance"][0] for r in rows}):
        mine = [r for r in rows if r["instance"][0] == sub]
        common = {r["instance"] for r in mine} - {r["instance"] for r in mine if r["gap_pct"] is None}
        subsets[sub] = {}
        for name in args.solvers:
            rs = [r for r in mine if r["solver"] == name]
            s = {"instances": len(rs), "valid": sum(r["valid"] for r in rs),
                 "mean_gap_pct": _mean([r["gap_pct"] for r in rs if r["gap_pct"] is not None]),
                 "mean_gap_common_pct": _mean([r["gap_pct"] for r in rs if r["instance"] in common]),
                 "common_instances": len(common)}
            subsets[sub][name] = s
        base = subsets[sub][ref]["mean_gap_common_pct"]
        for name in args.solvers:
            s = subsets[sub][name]
            s["ratio_to_reference"] = (s["mean_gap_common_pct"] / base
                                       if s["mean_gap_common_pct"] is not None and base else None)
            f = lambda x: f"{x:.2f}" if x is not None else "-"  # noqa: E731
            print(f"{sub:<6} {name:<22} {s['instances']:>3} {s['valid']:>5} {f(s['mean_gap_pct']):>10} "
                  f"{f(s['mean_gap_common_pct']):>12} {f(s['ratio_to_reference']):>6}")
    doc = {"benchmark": "Mankowska, Meisel & Bierwirth (2014) HHCRSP", "time_limit_s": args.time_limit,
           "seed": args.seed, "solvers": args.solvers, "reference": ref, "subsets": subsets, "rows": rows}
    print(json.dumps({**doc, "rows": [{k: v for k, v in r.items() if k != "routes"} for r in rows]}, indent=1))
    if args.json:
        _write_atomic(args.json, json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
