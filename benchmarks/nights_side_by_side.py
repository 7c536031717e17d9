#!/usr/bin/env python
"""Side-by-side nights benchmark: nurses used and cost, nachtzorg vs PyVRP, on generated nights.

The objective a planner has is lexicographic: serve every visit, then use as few nurses as
possible, then the least cost. This benchmark measures exactly that, on invented nights of
30-200 visits (``nachtzorg.synthetic.generate_night``), in two variants:

``comparable``
    The night turned into a problem PyVRP 0.14 can solve exactly as nachtzorg does: every visit
    needs one nurse, has one hard window (its first; no lateness) and is mandatory; the
    qualification levels stay. Both solvers get the same integers from
    ``compile_scenario(night).problem``: travel seconds and metres, service seconds, start
    windows, shift start/end places and times, the fixed cost of a used nurse (her shift) and
    the cost per metre (micro-euros). PyVRP gets one routing profile per qualification level, in
    which the visits that level may not do are unreachable (:data:`UNREACHABLE_M`,
    :data:`UNREACHABLE_S`), and its costs divided by their greatest common divisor (the same
    objective up to a positive factor; PyVRP's penalties for lateness are calibrated for costs of
    the size of distances, not of micro-euros).
``full``
    The generated night as it is (two-nurse visits, lateness allowed); only nachtzorg solves it.
    Its rows carry ``lower_bound``: the plan's lower bound on nurses once ``Plan`` or its KPIs
    have a ``nurses_lower_bound`` field, else null.

Every solution is judged by the same code, never by a solver's own word: cost is recomputed
from the routes with one cost function over the compiled integer matrices (shift cost of every
used nurse + metres x cost per metre), and feasibility is checked by an integer route check of
our own (windows, shift end, qualification, every visit exactly once) and, for nachtzorg's plans,
also by ``nachtzorg.check_plan``. The solvers run one after the other, never two at once, each
single-threaded (``--workers`` is nachtzorg's process count, default 1) with the same time limit.
``--seeds`` are the solvers' seeds (the spread over seeds is the spread of one night's runs);
``--night-seeds`` pick the generated nights.

Usage (from the repository root)::

    nice python benchmarks/nights_side_by_side.py --sizes 30 50 80 120 --seeds 0 1 2 --time-limit 10
    nice python benchmarks/nights_side_by_side.py --sizes 200 --seeds 0 --time-limit 30 \
        --solvers nachtzorg pyvrp --variants comparable --json out/nights_sbs.json

PyVRP is a benchmark-only dependency (``pip install nachtzorg[bench]``); the library never
imports it.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nachtzorg import Plan, Problem, Scenario, SolveParams, check_plan, compile_scenario, plan_night
from nachtzorg.atomic import write_text as atomic_write_text
from nachtzorg.synthetic import generate_night

#: visits -> nurses on shift: about half as many again as the nights need (roughly one nurse per
#: 20 visits), so that the fleet does not bind and "nurses used" is the solver's choice; with
#: exactly as many nurses as needed both solvers use them all (``--nurses`` sets other fleets)
SIZES = {30: 3, 50: 5, 80: 6, 120: 9, 160: 12, 200: 15}
#: organisations of a generated night (they do not change the routing problem)
ORGANISATIONS = 4
#: a metre count / a second count that no route can afford: an arc a profile's nurse may not drive
UNREACHABLE_M = 1_000_000_000
UNREACHABLE_S = 10_000_000
#: money unit of the compiled problem, EUR
MICRO_EUR = 1e-6
SOLVER_NAMES = ("nachtzorg", "pyvrp")
VARIANTS = ("comparable", "full")


# ------------------------------------------------------------------ nights
class Night(NamedTuple):
    """One generated night in one variant, with the integer problem both solvers see."""

    name: str
    variant: str
    visits: int
    nurses_on_shift: int
    night_seed: int
    scenario: Scenario
    problem: Problem


def comparable(scenario: Scenario) -> Scenario:
    """The night as a problem PyVRP can solve as well: every visit one nurse, its first window
    as one hard window (no lateness), mandatory; qualifications, places, shifts and costs kept."""
    visits = [v.model_copy(update={"nurses": 1, "windows": v.windows[:1], "max_lateness_min": 0,
                                   "optional": False, "penalty_eur": None})
              for v in scenario.visits]
    return Scenario.model_validate(scenario.model_copy(update={
        "visits": visits, "name": f"{scenario.name} (one nurse, one hard window)"}).model_dump())


def make_nights(sizes: list[int], night_seeds: list[int], variants: list[str],
                nurses: dict[int, int] | None = None) -> list[Night]:
    """The generated nights of ``sizes`` visits (nurses on shift from ``nurses``, default
    :data:`SIZES`), one per night seed, in each of ``variants``."""
    nurses = nurses or SIZES
    out = []
    for n in sizes:
        m = nurses[n]
        for ns in night_seeds:
            full = generate_night(n, m, ORGANISATIONS, seed=ns, name=f"night {n} visits/{m} nurses/seed {ns}")
            for variant in variants:
                sc = full if variant == "full" else comparable(full)
                out.append(Night(f"n{n}-m{m}-s{ns}", variant, n, m, ns, sc, compile_scenario(sc).problem))
    return out


# ------------------------------------------------------------------ shared judge
def route_costs(p: Problem, routes: list[list[int]]) -> tuple[int, int, int]:
    """(cost in micro-euros, metres driven, nurses used) of node ``routes`` (one list per vehicle):
    the shift cost of every nurse with a visit plus her metres times her cost per metre."""
    units = metres = used = 0
    for v, route in enumerate(routes):
        if not route:
            continue
        path = [int(p.start_node[v]), *map(int, route), int(p.end_node[v])]
        m = int(sum(int(p.distance[a, b]) for a, b in zip(path[:-1], path[1:])))
        units += int(p.fixed_cost[v]) + m * int(p.cost_per_m[v])
        metres += m
        used += 1
    return units, metres, used


class RouteCheck(NamedTuple):
    """What :func:`check_routes` found: rule breaches, tasks no route serves, tasks served."""

    issues: list[str]
    unserved: list[int]
    served: int

    @property
    def ok(self) -> bool:
        return not self.issues


def check_routes(p: Problem, routes: list[list[int]]) -> RouteCheck:
    """Integer check of node ``routes`` against ``p``: every node is a task node served at most
    once and all nodes of a served task are served, each by a different qualified nurse;
    leaving at the shift start, driving ``duration``, waiting for a window's start, service
    starts in one of the node's windows (the last stretched by ``max_late``) and the nurse is back
    by her shift end. Two-nurse synchronisation is not checked (a necessary check for such
    nights; ``check_plan`` does the rest)."""
    issues: list[str] = []
    unserved: list[int] = []
    n_nodes = int(p.service.shape[0])
    if len(routes) != len(p.start_node):
        return RouteCheck([f"{len(routes)} routes for {len(p.start_node)} nurses"], [], 0)
    seen: Counter[int] = Counter()
    vehicle_of: dict[int, int] = {}
    for v, route in enumerate(routes):
        if not route:
            continue
        t = int(p.shift_start[v])
        prev = int(p.start_node[v])
        for node in map(int, route):
            if not 0 <= node < n_nodes or int(p.node_task[node]) < 0:
                issues.append(f"nurse {v}: node {node} is not a visit")
                continue
            seen[node] += 1
            vehicle_of[node] = v
            if v not in set(int(x) for x in p.allowed_vehicles(node)):
                issues.append(f"nurse {v}: not qualified for node {node}")
            arrive = t + int(p.duration[prev, node])
            windows = [(int(a), int(b)) for a, b in np.asarray(p.windows[node]).tolist()]
            windows[-1] = (windows[-1][0], windows[-1][1] + int(p.max_late[node]))
            start = next((max(arrive, a) for a, b in windows if arrive <= b), None)
            if start is None:
                issues.append(f"nurse {v}: node {node} reached at {arrive} s, after its last window "
                                  f"({windows[-1][1]} s)")
                start = arrive
            t = start + int(p.service[node])
            prev = node
        back = t + int(p.duration[prev, int(p.end_node[v])])
        if back > int(p.shift_end[v]):
            issues.append(f"nurse {v}: back at {back} s, after her shift end ({int(p.shift_end[v])} s)")
    for node, k in seen.items():
        if k > 1:
            issues.append(f"node {node} served {k} times")
    for task, nodes in enumerate(p.task_nodes):
        got = [int(x) for x in nodes if int(x) in seen]
        if not got:
            unserved.append(task)
            continue
        if len(got) < len(nodes):
            issues.append(f"task {task}: {len(got)} of its {len(nodes)} nurses")
        elif len({vehicle_of[x] for x in got}) < len(got):
            issues.append(f"task {task}: one nurse holds two of its places")
    return RouteCheck(issues, unserved, len(p.task_nodes) - len(unserved))


def plan_routes(night: Night, plan: Plan) -> list[list[int]]:
    """A nachtzorg plan's routes as node lists per vehicle (vehicles in shift order, tasks in
    visit order, as ``compile_scenario`` numbers them; a two-nurse visit's copies in route order)."""
    p = night.problem
    vehicle = {sh.id: v for v, sh in enumerate(night.scenario.shifts)}
    task = {vi.id: t for t, vi in enumerate(night.scenario.visits)}
    copies_used: Counter[int] = Counter()
    routes: list[list[int]] = [[] for _ in night.scenario.shifts]
    for r in plan.routes:
        for s in r.visits:
            t = task[s.visit_id]
            nodes = p.task_nodes[t]
            routes[vehicle[r.shift_id]].append(int(nodes[min(copies_used[t], len(nodes) - 1)]))
            copies_used[t] += 1
    return routes


def nurses_lower_bound(plan: Plan) -> int | None:
    """The plan's lower bound on nurses, once the plan (or its KPIs) reports one; else None."""
    for holder in (plan.kpis, plan):
        lb = getattr(holder, "nurses_lower_bound", None)
        if lb is not None:
            return int(getattr(lb, "nurses", getattr(lb, "value", lb)))
    return None


# ------------------------------------------------------------------ solvers
class Run(NamedTuple):
    """One solve: node routes per vehicle, wall seconds, and what the solver said of itself."""

    routes: list[list[int]]
    wall_s: float
    solver_cost_eur: float | None = None  # the solver's own figure, for information only
    check_plan_ok: bool | None = None  # nachtzorg's plans only
    check_plan_issues: tuple[str, ...] = ()
    lower_bound: int | None = None
    plan: Plan | None = None


def run_nachtzorg(night: Night, *, time_limit: float | None, seed: int, workers: int = 1,
                  solution_limit: int | None = None) -> Run:
    """``plan_night`` on the night's scenario; its plan also goes through ``check_plan``."""
    t0 = time.perf_counter()
    plan = plan_night(night.scenario, SolveParams(time_limit_s=time_limit, solution_limit=solution_limit,
                                                  seed=seed, workers=workers))
    wall = time.perf_counter() - t0
    rep = check_plan(night.scenario, plan)
    return Run(plan_routes(night, plan), wall, plan.kpis.cost_eur, rep.ok,
               tuple(str(v) for v in rep.violations[:5]), nurses_lower_bound(plan), plan)


def _same_place(p: Problem, a: int, b: int) -> bool:
    """Nodes ``a`` and ``b`` are one place: zero apart and alike to and from every node."""
    return (int(p.duration[a, b]) == 0 == int(p.duration[b, a]) and int(p.distance[a, b]) == 0
            and np.array_equal(p.duration[a], p.duration[b]) and np.array_equal(p.duration[:, a], p.duration[:, b])
            and np.array_equal(p.distance[a], p.distance[b]) and np.array_equal(p.distance[:, a], p.distance[:, b]))


class PyvrpModel(NamedTuple):
    """``data``: the PyVRP instance; ``client_node[k]``: problem node of PyVRP client ``k``;
    ``type_vehicles[j]``: problem vehicles of PyVRP vehicle type ``j``; ``cost_scale``:
    micro-euros per PyVRP cost unit."""

    data: Any
    client_node: list[int]
    type_vehicles: list[list[int]]
    cost_scale: int


def pyvrp_model(p: Problem) -> PyvrpModel:
    """The ``comparable`` problem ``p`` as PyVRP data, integer for integer (see module docstring)."""
    import pyvrp

    client_node = []
    for t, nodes in enumerate(p.task_nodes):
        node = int(nodes[0])
        if len(nodes) != 1 or len(p.windows[node]) != 1 or int(p.max_late[node]) != 0:
            raise ValueError(f"task {t}: PyVRP gets one-nurse visits with one hard window only "
                             f"(nurses {len(nodes)}, windows {len(p.windows[node])}, max_late {int(p.max_late[node])} s)")
        client_node.append(node)
    m = len(p.start_node)
    depot_nodes: list[int] = []

    def depot_of(node: int) -> int:
        for k, d in enumerate(depot_nodes):
            if _same_place(p, d, node):
                return k
        depot_nodes.append(node)
        return len(depot_nodes) - 1

    costs = [int(x) for x in p.fixed_cost] + [int(x) for x in p.cost_per_m]
    scale = math.gcd(*costs) or 1
    profiles: dict[tuple[bool, ...], int] = {}
    groups: dict[tuple, list[int]] = {}
    for v in range(m):
        reach = tuple(v in set(int(x) for x in p.allowed_vehicles(c)) for c in client_node)
        prof = profiles.setdefault(reach, len(profiles))
        key = (depot_of(int(p.start_node[v])), depot_of(int(p.end_node[v])), int(p.shift_start[v]),
               int(p.shift_end[v]), int(p.fixed_cost[v]) // scale, int(p.cost_per_m[v]) // scale, prof)
        groups.setdefault(key, []).append(v)
    nodes = depot_nodes + client_node  # PyVRP location k is problem node nodes[k]
    ix = np.ix_(nodes, nodes)
    base_dist = np.asarray(p.distance[ix], dtype=np.int64)
    base_dur = np.asarray(p.duration[ix], dtype=np.int64)
    dist_mats, dur_mats = [], []
    for reach in profiles:  # insertion order = profile index
        dist, dur = base_dist.copy(), base_dur.copy()
        for k, ok in enumerate(reach):
            if not ok:
                loc = len(depot_nodes) + k
                dist[loc, :] = dist[:, loc] = UNREACHABLE_M
                dur[loc, :] = dur[:, loc] = UNREACHABLE_S
                dist[loc, loc] = dur[loc, loc] = 0
        dist_mats.append(dist)
        dur_mats.append(dur)
    locations = [pyvrp.Location(x=float(k), y=0.0, name=str(node)) for k, node in enumerate(nodes)]
    depots = [pyvrp.Depot(k) for k in range(len(depot_nodes))]
    clients = []
    for k, node in enumerate(client_node):
        (lo, hi), = np.asarray(p.windows[node]).tolist()
        clients.append(pyvrp.Client(len(depot_nodes) + k, service_duration=int(p.service[node]),
                                    tw_early=int(lo), tw_late=int(hi)))
    types = [pyvrp.VehicleType(num_available=len(vs), start_depot=sd, end_depot=ed, fixed_cost=fc,
                               tw_early=t0, tw_late=t1, unit_distance_cost=cpm, unit_duration_cost=0,
                               profile=prof)
             for (sd, ed, t0, t1, fc, cpm, prof), vs in groups.items()]
    data = pyvrp.ProblemData(locations, clients, depots, types, dist_mats, dur_mats)
    return PyvrpModel(data, client_node, list(groups.values()), scale)


def run_pyvrp(night: Night, *, time_limit: float | None, seed: int, max_iterations: int | None = None) -> Run:
    """PyVRP 0.14's ``solve`` on :func:`pyvrp_model` of the night, stopped by ``time_limit``
    seconds (the model build included) and/or ``max_iterations``; its best solution's routes."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    t0 = time.perf_counter()
    model = pyvrp_model(night.problem)
    stops = []
    if time_limit is not None:
        stops.append(MaxRuntime(max(0.05, time_limit - (time.perf_counter() - t0))))
    if max_iterations is not None:
        stops.append(MaxIterations(max_iterations))
    if not stops:
        raise ValueError("run_pyvrp needs time_limit or max_iterations")
    res = pyvrp.solve(model.data, stops[0] if len(stops) == 1 else MultipleCriteria(stops), seed=seed,
                      display=False, collect_stats=False)
    wall = time.perf_counter() - t0
    routes: list[list[int]] = [[] for _ in night.problem.start_node]
    free = [list(vs) for vs in model.type_vehicles]
    for r in res.best.routes():
        v = free[r.vehicle_type()].pop(0)
        routes[v] = [model.client_node[a.idx] for a in r.schedule() if a.is_client()]
    return Run(routes, wall, float(res.cost()) * model.cost_scale * MICRO_EUR if res.is_feasible() else None)


# ------------------------------------------------------------------ rows and tables
def judge(night: Night, solver: str, seed: int, time_limit: float | None, run: Run) -> dict[str, Any]:
    """The benchmark row of one run: every figure recomputed from the routes."""
    p = night.problem
    units, metres, used = route_costs(p, run.routes)
    chk = check_routes(p, run.routes)
    feasible = chk.ok and run.check_plan_ok is not False
    complete = not chk.unserved
    return {
        "night": night.name, "variant": night.variant, "visits": night.visits,
        "nurses_on_shift": night.nurses_on_shift, "night_seed": night.night_seed, "solver": solver,
        "seed": seed, "time_limit_s": time_limit, "nurses": used, "cost_eur": round(units * MICRO_EUR, 2),
        "cost_units": units, "distance_km": round(metres / 1000, 3), "visits_served": chk.served,
        "unserved": len(chk.unserved), "feasible": feasible, "complete": complete,
        "route_check_ok": chk.ok, "check_plan_ok": run.check_plan_ok,
        "issues": (chk.issues + list(run.check_plan_issues))[:5], "wall_s": round(run.wall_s, 3),
        "solver_cost_eur": None if run.solver_cost_eur is None else round(run.solver_cost_eur, 2),
        "lower_bound": run.lower_bound,
    }


def _ok(r: dict[str, Any]) -> bool:
    return r["feasible"] and r["complete"]


def _fmt_row(r: dict[str, Any]) -> str:
    flag = "" if _ok(r) else ("  INFEASIBLE " + "; ".join(r["issues"][:2]) if not r["feasible"]
                              else f"  {r['unserved']} UNSERVED")
    lb = "-" if r["lower_bound"] is None else str(r["lower_bound"])
    return (f"  {r['seed']:>4} {r['solver']:<10} {r['nurses']:>6} {r['cost_eur']:>10,.2f} {r['distance_km']:>8.1f}"
            f" {r['visits_served']:>4}/{r['visits']:<4} {lb:>3} {r['wall_s']:>7.2f}s{flag}")


def _print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"  {'seed':>4} {'solver':<10} {'nurses':>6} {'cost EUR':>10} {'km':>8} {'served':>9} {'lb':>3} {'wall':>8}")
    for r in rows:
        print(_fmt_row(r))


def print_night_table(night: Night, rows: list[dict[str, Any]]) -> None:
    print(f"\n{night.name} [{night.variant}]: {night.visits} visits, {night.nurses_on_shift} nurses on shift")
    _print_rows(rows)


def _spread(xs: list[float]) -> list[float] | None:
    return [min(xs), statistics.median(xs), max(xs)] if xs else None


def summarise(rows: list[dict[str, Any]], solvers: list[str]) -> dict[str, Any]:
    """Means per solver, per-run nurse differences and cost ratios nachtzorg/PyVRP (runs both
    solved feasibly and completely), and the spread over seeds per night and solver."""
    out: dict[str, Any] = {}
    for variant in VARIANTS:
        sub = [r for r in rows if r["variant"] == variant]
        if not sub:
            continue
        keys = list(dict.fromkeys((r["night"], r["seed"]) for r in sub))  # in run order
        by = {(r["night"], r["seed"], r["solver"]): r for r in sub}
        names = [s for s in solvers if any(r["solver"] == s for r in sub)]
        common = [k for k in keys if all(_ok(by[(*k, s)]) for s in names if (*k, s) in by)]
        stats = {}
        for s in names:
            mine = [by[(*k, s)] for k in keys if (*k, s) in by]
            com = [by[(*k, s)] for k in common if (*k, s) in by]
            stats[s] = {
                "runs": len(mine), "feasible_complete": sum(map(_ok, mine)),
                "mean_nurses": statistics.fmean(r["nurses"] for r in com) if com else None,
                "mean_cost_eur": round(statistics.fmean(r["cost_eur"] for r in com), 2) if com else None,
                "mean_wall_s": round(statistics.fmean(r["wall_s"] for r in mine), 2) if mine else None,
            }
        spread: dict[str, dict[str, Any]] = {}
        best: dict[str, int | None] = {}
        for night in dict.fromkeys(r["night"] for r in sub):
            seen = [r["nurses"] for r in sub if r["night"] == night and _ok(r)]
            best[night] = min(seen) if seen else None
            spread[night] = {}
            for s in names:
                ok = [r for r in sub if r["night"] == night and r["solver"] == s and _ok(r)]
                spread[night][s] = {"nurses": _spread([r["nurses"] for r in ok]),
                                    "cost_eur": _spread([r["cost_eur"] for r in ok]), "runs_ok": len(ok)}
                lbs = [r["lower_bound"] for r in ok if r["lower_bound"] is not None]
                if s == "nachtzorg":
                    spread[night][s]["lower_bound"] = max(lbs) if lbs else None
        for s in names:  # how often a solver found the fewest nurses any run found for that night
            mine = [r for r in sub if r["solver"] == s]
            stats[s]["runs_at_best_nurses"] = sum(_ok(r) and r["nurses"] == best[r["night"]] for r in mine)
        part: dict[str, Any] = {"solvers": stats, "common_runs": len(common), "runs": len(keys), "spread": spread,
                                "best_nurses": best}
        if variant == "full" and "nachtzorg" in names:
            with_lb = [by[(*k, "nachtzorg")] for k in keys if (*k, "nachtzorg") in by
                       and by[(*k, "nachtzorg")]["lower_bound"] is not None and _ok(by[(*k, "nachtzorg")])]
            part["nurses_at_lower_bound"] = sum(r["nurses"] == r["lower_bound"] for r in with_lb) if with_lb else None
            part["runs_with_lower_bound"] = len(with_lb)
        if "nachtzorg" in names and "pyvrp" in names:
            pairs = []
            for k in keys:
                a, b = by.get((*k, "nachtzorg")), by.get((*k, "pyvrp"))
                if a and b and _ok(a) and _ok(b):
                    pairs.append({"night": k[0], "seed": k[1], "nurse_diff": a["nurses"] - b["nurses"],
                                  "cost_ratio": round(a["cost_eur"] / b["cost_eur"], 4)})
            ratios = [x["cost_ratio"] for x in pairs]
            ok_by = {s: {k for k in keys if (*k, s) in by and _ok(by[(*k, s)])} for s in ("nachtzorg", "pyvrp")}
            part["pairs"] = pairs
            part["compared"] = {
                "runs": len(pairs),
                "nachtzorg_more_nurses": sum(x["nurse_diff"] > 0 for x in pairs),
                "nachtzorg_fewer_nurses": sum(x["nurse_diff"] < 0 for x in pairs),
                "same_nurses": sum(x["nurse_diff"] == 0 for x in pairs),
                "mean_cost_ratio": round(statistics.fmean(ratios), 4) if ratios else None,
                "max_cost_ratio": max(ratios) if ratios else None,
                "cost_ratio_at_most_1_01": sum(x <= 1.01 for x in ratios),
                "only_pyvrp_ok": len(ok_by["pyvrp"] - ok_by["nachtzorg"]),
                "only_nachtzorg_ok": len(ok_by["nachtzorg"] - ok_by["pyvrp"]),
                "mean_cost_ratio_same_nurses": (round(statistics.fmean(
                    x["cost_ratio"] for x in pairs if x["nurse_diff"] == 0), 4)
                    if any(x["nurse_diff"] == 0 for x in pairs) else None),
            }
        out[variant] = part
    return out


def print_summary(summary: dict[str, Any]) -> None:
    def f(x: Any, spec: str = "") -> str:
        return "-" if x is None else format(x, spec)

    def trio(xs: list[float] | None, spec: str) -> str:
        return "-" if xs is None else "/".join(format(x, spec) for x in xs)

    for variant, part in summary.items():
        print(f"\n== {variant} nights: per solver (means over the {part['common_runs']} of {part['runs']} runs "
              f"every solver solved feasibly and completely)")
        print(f"  {'solver':<10} {'runs ok':>8} {'mean nurses':>11} {'mean cost EUR':>13} {'mean wall':>9}"
              f" {'at fewest nurses seen':>21}")
        for s, st in part["solvers"].items():
            print(f"  {s:<10} {st['feasible_complete']:>3}/{st['runs']:<4} {f(st['mean_nurses'], '.2f'):>11} "
                  f"{f(st['mean_cost_eur'], ',.2f'):>13} {f(st['mean_wall_s'], '.2f'):>8}s"
                  f" {st['runs_at_best_nurses']:>14} of {st['runs']:<4}")
        if "pairs" in part:
            print("  per run, nachtzorg vs PyVRP:")
            print(f"    {'night':<16} {'seed':>4} {'nurse diff':>10} {'cost ratio':>10}")
            for x in part["pairs"]:
                print(f"    {x['night']:<16} {x['seed']:>4} {x['nurse_diff']:>+10d} {x['cost_ratio']:>10.4f}")
            c = part["compared"]
            print(f"  nachtzorg used more nurses than PyVRP in {c['nachtzorg_more_nurses']} of {c['runs']} runs, "
                  f"fewer in {c['nachtzorg_fewer_nurses']}, as many in {c['same_nurses']}; cost ratio mean "
                  f"{f(c['mean_cost_ratio'], '.4f')}, max {f(c['max_cost_ratio'], '.4f')}, <= 1.01 in "
                  f"{c['cost_ratio_at_most_1_01']} of {c['runs']}; mean ratio where the nurses are equal "
                  f"{f(c['mean_cost_ratio_same_nurses'], '.4f')}")
            if c["only_pyvrp_ok"] or c["only_nachtzorg_ok"]:
                print(f"  left out of the comparison: {c['only_pyvrp_ok']} runs only PyVRP solved feasibly and "
                      f"completely, {c['only_nachtzorg_ok']} only nachtzorg")
        if "nurses_at_lower_bound" in part:
            print(f"  nachtzorg nurses equal the lower bound in {f(part['nurses_at_lower_bound'])} of "
                  f"{part['runs_with_lower_bound']} runs that report one")
        print("  spread over seeds (min/median/max, feasible complete runs; fewest nurses any run found):")
        for night, per in part["spread"].items():
            cells = [f"fewest {f(part['best_nurses'][night])}"]
            for s, sp in per.items():
                lb = f", lb {sp['lower_bound']}" if sp.get("lower_bound") is not None else ""
                cells.append(f"{s} nurses {trio(sp['nurses'], 'g')} cost {trio(sp['cost_eur'], ',.0f')}"
                             f" ({sp['runs_ok']} ok{lb})")
            print(f"    {night:<16} " + " | ".join(cells))


def reprint(path: Path) -> int:
    """The night tables and the summary of the rows in an earlier ``--json`` document."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows, solvers = doc["rows"], doc["config"]["solvers"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"--from-json {path}: not a nights_side_by_side --json file ({type(exc).__name__}: "
              f"{str(exc)[:80]})", file=sys.stderr)
        return 2
    print(f"# from {path}: {json.dumps(doc['config'])}")
    for night, variant in dict.fromkeys((r["night"], r["variant"]) for r in rows):
        mine = [r for r in rows if (r["night"], r["variant"]) == (night, variant)]
        print(f"\n{night} [{variant}]: {mine[0]['visits']} visits, {mine[0]['nurses_on_shift']} nurses on shift")
        _print_rows(mine)
    print_summary(summarise(rows, solvers))
    return 0


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[30, 50, 80, 120],
                    help=f"visits per night (default nurses on shift: {SIZES})")
    ap.add_argument("--nurses", type=int, nargs="+", default=None,
                    help="nurses on shift, one per --sizes value (default: the table above)")
    ap.add_argument("--seeds", "--seed", dest="seeds", type=int, nargs="+", default=[0, 1, 2],
                    help="solver seeds; every solver solves every night once per seed")
    ap.add_argument("--night-seeds", type=int, nargs="+", default=[1], help="generator seeds of the nights")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve, the same for every solver")
    ap.add_argument("--workers", type=int, default=1, help="nachtzorg's processes per solve (SolveParams.workers)")
    ap.add_argument("--solvers", nargs="+", default=list(SOLVER_NAMES), choices=SOLVER_NAMES)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS,
                    help="comparable: one nurse, one hard window (both solvers); full: as generated (nachtzorg)")
    ap.add_argument("--json", type=Path, default=None, help="also write all rows and the summary to this file")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="solve nothing: print the tables and summary of the rows of an earlier --json file")
    args = ap.parse_args(argv)
    if args.from_json is not None:
        return reprint(args.from_json)
    for opt in ("seeds", "night_seeds", "sizes"):
        vals = getattr(args, opt)
        if len(set(vals)) != len(vals):
            ap.error(f"--{opt.replace('_', '-')} {' '.join(map(str, vals))}: each value once")
    if args.nurses is None:
        unknown = [n for n in args.sizes if n not in SIZES]
        if unknown:
            ap.error(f"--sizes {' '.join(map(str, unknown))}: choose from {sorted(SIZES)} or give --nurses")
        nurses = {n: SIZES[n] for n in args.sizes}
    elif len(args.nurses) != len(args.sizes) or min(args.nurses) < 1 or min(args.sizes) < 1:
        ap.error(f"--nurses {' '.join(map(str, args.nurses))}: one positive count per --sizes value")
    else:
        nurses = dict(zip(args.sizes, args.nurses))
    if not args.time_limit > 0:
        ap.error(f"--time-limit {args.time_limit:g}: must be > 0")
    if args.workers < 1:
        ap.error(f"--workers {args.workers}: must be >= 1")
    if "pyvrp" in args.solvers:
        try:
            import pyvrp  # noqa: F401
        except ImportError:
            ap.error("--solvers pyvrp: PyVRP is not installed (pip install nachtzorg[bench])")

    nights = make_nights(args.sizes, args.night_seeds, args.variants, nurses)
    rows: list[dict[str, Any]] = []
    for night in nights:
        mine = []
        for seed in args.seeds:
            for solver in args.solvers:
                if solver == "pyvrp" and night.variant != "comparable":
                    continue
                try:
                    if solver == "nachtzorg":
                        run = run_nachtzorg(night, time_limit=args.time_limit, seed=seed, workers=args.workers)
                    else:
                        run = run_pyvrp(night, time_limit=args.time_limit, seed=seed)
                    row = judge(night, solver, seed, args.time_limit, run)
                except Exception as exc:  # a benchmark row, not a crash
                    row = judge(night, solver, seed, args.time_limit,
                                Run([[] for _ in night.problem.start_node], 0.0))
                    row.update(feasible=False, issues=[f"{type(exc).__name__}: {exc}"])
                mine.append(row)
        if mine:
            print_night_table(night, mine)
            sys.stdout.flush()
        rows += mine

    summary = summarise(rows, args.solvers)
    print_summary(summary)
    doc = {"config": {"sizes": args.sizes, "nurses": {str(n): nurses[n] for n in args.sizes},
                      "night_seeds": args.night_seeds, "seeds": args.seeds, "time_limit_s": args.time_limit,
                      "workers": args.workers, "solvers": args.solvers, "variants": args.variants},
           "nights": [{"night": n.name, "variant": n.variant, "visits": n.visits,
                       "nurses_on_shift": n.nurses_on_shift, "night_seed": n.night_seed} for n in nights],
           "summary": summary, "rows": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.json, json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
