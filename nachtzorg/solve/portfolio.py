"""Night solve: OR-Tools' own start and our joint-insertion start, keep the cheaper plan;
and route elimination, a plan with one nurse fewer.

With two-nurse visits, OR-Tools' first solution tends to leave them out (their synchronisation
is a generic constraint its insertion filters do not see) and can be slow to appear, so half of
the budget goes to a run started from :func:`insertion_routes` (handed to OR-Tools' iterated
local search through the evaluator first-solution strategy: ``warm_ils``), half to OR-Tools' own
start; both results get a repair pass that inserts leftover visits, and the construction itself
is the fallback when neither run finds anything within its budget. Without two-nurse visits
there is one run, from OR-Tools' own start. Each candidate is re-timed and costed by our own
schedule, not by the solver's word.

With ``SolveParams.workers`` of 2 or more the runs go side by side in forked processes, each
with the whole budget (:func:`solve_night`).

Route elimination (time-limited runs, nurses with a fixed cost): before a run, when the best plan
so far serves every visit (the night is not over-full), a fifth of the budget goes to one
attempt at doing with one nurse fewer. Each nurse's visits are taken out in turn and she is
taken off the shift; our insertion puts back what fits, and for the nurse whose visits fit best
OR-Tools' iterated local search starts from those routes. If that is cheaper by our own costing
(unserved visits carry their penalties), the rest of the budget improves the plan without her
instead of the remaining runs. The search alone rarely finds a plan with one route fewer: each
single move out of a route of 15-20 visits costs more, and only the last one saves the fixed
cost (120-visit nights, ``benchmarks/README.md``).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..exceptions import SolverError
from ..problem import Problem
from ..schedule import schedule_routes, total_cost
from .insertion import insertion_routes, repair_routes
from .search import RUIN_LONG, SolveParams, SolveResult, ruin_size, solve_problem

log = logging.getLogger(__name__)


def _repaired(problem: Problem, routes: list[list[int]]) -> list[list[int]]:
    sched = schedule_routes(problem, routes)
    if not sched.feasible:
        return routes
    fixed = repair_routes(problem, routes, sched.start_of())
    return fixed if schedule_routes(problem, fixed).feasible else routes


#: SISR ruin size on nights of up to :data:`NIGHT_RUIN_MAX_VISITS` visits whose routes are long
#: (:func:`~.search.ruin_size`): 40 visits instead of Solomon's 30. On 15 generated nights at 2 s,
#: two runs each: 16 of 30 runs within 0.5 % of the 60 s plan against 12-15 with 30 (two workers),
#: 14 against 13 (one process), as many visits served; the 56-visit Assen-like night +0.06-0.5 %
#: instead of +0.75-1.4 %, the 60-visit night of seed 1 56 visits instead of 53-54. On the 200-visit
#: nights 40 served fewer (seed 2, one process: 178-179 against 192-193), so they keep 30
#: (``benchmarks/README.md``).
NIGHT_RUIN_LONG = 40
NIGHT_RUIN_MAX_VISITS = 120

#: Share of a time-limited budget that goes to route elimination, when it applies.
ELIMINATION_SHARE = 0.2
#: A portfolio run with less time than this (seconds) is not started.
MIN_RUN_S = 0.05


def _left_over(problem: Problem, routes: list[list[int]]) -> int:
    """Visits (tasks) not fully on ``routes``."""
    on = {n for r in routes for n in r}
    return sum(1 for nodes in problem.task_nodes if not all(x in on for x in nodes))


def _served_all(problem: Problem, routes: list[list[int]]) -> bool:
    return _left_over(problem, routes) == 0


def without_route(problem: Problem, routes: list[list[int]], vehicle: int) -> tuple[Problem, list[list[int]]]:
    """``problem`` with ``vehicle`` off the shift (no visit allows it), and ``routes`` without her
    visits: her route emptied, and the partner copies of her two-nurse visits taken off the
    other routes (OR-Tools keeps both copies of a two-nurse visit in or out together)."""
    gone = {x for n in routes[vehicle] for x in problem.task_nodes[int(problem.node_task[n])]}
    rest = [[] if v == vehicle else [n for n in r if n not in gone] for v, r in enumerate(routes)]
    level = problem.vehicle_level.astype(np.int64).copy()
    level[vehicle] = int(min(problem.required_level.min(), level.min())) - 1
    return dataclasses.replace(problem, vehicle_level=level), rest


def _spare_candidates(problem: Problem, routes: list[list[int]]) -> list[tuple[int, int, int, Problem, list[list[int]]]]:
    """For every used route, best first: (visits our insertion leaves over when that nurse is
    taken off and her visits are put back on the other routes, her number of visits, the
    vehicle, the problem without her, those routes). About 10 ms per route at 100 visits."""
    out = []
    for v, r in enumerate(routes):
        if not r:
            continue
        reduced, rest = without_route(problem, routes, v)
        rest = _repaired(reduced, rest)
        out.append((_left_over(problem, rest), len(r), v, reduced, rest))
    out.sort(key=lambda c: c[:3])
    return out


def _scratch_candidates(problem: Problem, routes: list[list[int]]) -> list[tuple[int, int, int, Problem, list[list[int]]]]:
    """Like :func:`_spare_candidates`, but our insertion builds the night anew without one nurse
    of each kind (start and end place, qualification, shift, costs) instead of re-placing her
    visits in the current plan. Nurses of a kind are interchangeable; the last of each kind is
    taken off (on the 120-visit night of seed 5, four seeds of 2 s: a nurse spared in 3 runs;
    taking the first of a kind off: in none). About 50 ms per kind at 120 visits."""
    p = problem
    kinds: dict[tuple[object, ...], int] = {}
    for v, r in enumerate(routes):
        if r:
            place = (p.distance[p.start_node[v]].tobytes(), p.distance[:, p.end_node[v]].tobytes())
            kinds[(*place, int(p.vehicle_level[v]), int(p.shift_start[v]), int(p.shift_end[v]),
                   int(p.fixed_cost[v]), int(p.cost_per_m[v]))] = v
    out = []
    for v in kinds.values():
        reduced, _ = without_route(p, routes, v)
        fresh = insertion_routes(reduced)
        out.append((_left_over(p, fresh), len(routes[v]), v, reduced, fresh))
    return out


def spare_nurses(problem: Problem, routes: list[list[int]], tries: int = 1) -> list[list[int]]:
    """Route elimination by our insertion alone, no search: while the visits of some nurse all
    fit on the other routes and the plan gets cheaper, she is taken off (the ``tries`` shortest
    routes are tried each round; about 10 ms each at 100 visits). For coalition solves, whose
    search budgets (hundredths of a second, greedy descent) cannot empty a route: each single
    move out of it costs more, only the last saves the fixed cost."""
    if not problem.fixed_cost.any():
        return routes
    cost = total_cost(problem, routes)
    within = problem
    spared = True
    while spared and sum(1 for r in routes if r) > 1:
        spared = False
        for _, v in sorted((len(r), v) for v, r in enumerate(routes) if r)[:tries]:
            reduced, rest = without_route(within, routes, v)
            rest = _repaired(reduced, rest)
            if _served_all(problem, rest) < _served_all(problem, routes):
                continue  # her visits did not all fit: no cheaper plan (penalties), skip the costing
            c = total_cost(problem, rest)
            if c < cost:
                routes, cost, within, spared = rest, c, reduced, True
                break
    return routes


def _eliminate_route(problem: Problem, routes: list[list[int]], cost: int, params: SolveParams,
                     seconds: float) -> tuple[list[list[int]], int, Problem] | None:
    """One attempt at a plan with one nurse fewer (module docstring): the cheaper plan, its cost
    and the problem without that nurse, or ``None``. The nurse is the one whose visits our
    insertion re-places best (fewest visits left over, then fewest visits), so the search
    starts as close to a complete plan as our insertion gets; when every such start leaves
    visits over, a night built anew without one nurse (:func:`_scratch_candidates`) is the
    start if it leaves fewer."""
    if sum(1 for r in routes if r) < 2:
        return None
    best = _spare_candidates(problem, routes)[0]
    if best[0] > 0:  # some visits left over: a plan built anew without a nurse may leave fewer
        fresh = min(_scratch_candidates(problem, routes), key=lambda c: c[:3])
        best = fresh if fresh[0] < best[0] else best
    _, _, _, reduced, rest = best
    better = _improve(problem, reduced, rest, cost, params, seconds)
    return None if better is None else (*better, reduced)


def _improve(problem: Problem, within: Problem, routes: list[list[int]], cost: int, params: SolveParams,
             seconds: float) -> tuple[list[list[int]], int] | None:
    """OR-Tools' iterated local search on ``within`` (``problem`` or a restriction of it) from
    ``routes`` for ``seconds``; the plan and its cost when cheaper than ``cost``, else ``None``."""
    if seconds <= 0:
        return None
    try:
        res = solve_problem(within, dataclasses.replace(params, time_limit_s=seconds), initial_routes=routes,
                            warm_ils=True)
    except SolverError as e:
        log.info("route elimination found nothing: %s", e)
        return None
    candidate = _repaired(within, res.routes)
    if not schedule_routes(problem, candidate).feasible:
        return None
    c = total_cost(problem, candidate)
    return (candidate, c) if c < cost else None


#: A start: its name in the portfolio, and the routes OR-Tools starts from (``None``: its own start).
Spec = tuple[str, list[list[int]] | None]


@dataclasses.dataclass
class _Chain:
    """What one chain of portfolio runs found: plans and their costs by name."""

    plans: dict[str, list[list[int]]]
    costs: dict[str, int]
    stats: dict[str, float]
    build_s: float


def _run_chain(problem: Problem, params: SolveParams, specs: list[Spec],
               start: list[list[int]], limit: float | None, may_eliminate: bool,
               pause_for_elimination: bool = False, elimination_share: float = ELIMINATION_SHARE,
               started: float | None = None) -> _Chain:
    """The portfolio runs of ``specs`` one after the other within ``limit`` seconds (``None``:
    solution-limited), each with an equal share of what is left, and route elimination, with
    ``elimination_share`` of ``limit``, before a run when the best plan so far serves every visit
    (module docstring). ``params``: the search parameters of the runs and of route elimination.

    ``pause_for_elimination``: when route elimination may apply but ``start`` leaves visits out,
    the last run stops halfway so that route elimination can start from its plan if that serves
    every visit; otherwise a run continues from the best plan (side-by-side chains, which hold a
    single run each). ``started``: the ``time.perf_counter()`` from which ``limit`` counts
    (default: now), so that work done before the chain, such as building ``start``, is in it."""
    t0 = time.perf_counter() if started is None else started
    continued = -1
    if pause_for_elimination and may_eliminate and not _served_all(problem, start):
        specs = [*specs, (f"{specs[-1][0]} continued", None)]
        continued = len(specs) - 1
    two_nurse = any(len(n) == 2 for n in problem.task_nodes)
    plans = {"insertion": start}
    costs = {"insertion": total_cost(problem, start)}
    stats: dict[str, float] = {}
    build_s = 0.0
    for k, (name, initial) in enumerate(specs):
        best = min(costs, key=costs.__getitem__)
        if may_eliminate and "route_eliminated" not in stats and _served_all(problem, plans[best]):
            assert limit is not None
            out = _eliminate_route(problem, plans[best], costs[best], params, limit * elimination_share)
            stats["route_eliminated"] = float(out is not None)
            if out is not None:  # the rest of the budget improves the plan without that nurse
                routes, cost, reduced = out
                left = limit - (time.perf_counter() - t0)
                routes, cost = _improve(problem, reduced, routes, cost, params, left) or (routes, cost)
                plans["route elimination"], costs["route elimination"] = routes, cost
                break
        seconds = None
        if limit is not None:  # an equal share of what is left, the last run all of it
            seconds = (limit - (time.perf_counter() - t0)) / (len(specs) - k)
            if seconds < MIN_RUN_S:
                break
        if k == continued:
            initial = plans[best]
        try:
            res = solve_problem(problem, dataclasses.replace(params, time_limit_s=seconds), initial_routes=initial,
                                warm_ils=True)
        except SolverError as e:  # e.g. OR-Tools' own start did not finish within a short budget
            log.info("portfolio run %s found nothing: %s", name, e)
            continue
        build_s += res.build_s
        plans[name] = _repaired(problem, res.routes) if two_nurse else res.routes
        costs[name] = total_cost(problem, plans[name])
    return _Chain(plans, costs, stats, build_s)


def _chain_job(args: tuple) -> _Chain:
    """:func:`_run_chain` in a worker process; its time limit counts from the worker's start."""
    return _run_chain(*args)


def _fork_context() -> multiprocessing.context.BaseContext | None:
    """The fork start method where it is safe and fast (Linux): a forked worker starts in
    milliseconds with everything imported, where a spawned one re-imports OR-Tools and pandas
    (about 0.8 s, half of a 2 s budget). ``None`` elsewhere (side-by-side runs are then off)."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


@dataclasses.dataclass(frozen=True)
class _ChainPlan:
    """One side-by-side chain (:func:`_run_chain`): its starts, the number added to the seed,
    whether it may try route elimination, pauses for it, and with what share of the budget."""

    specs: list[Spec]
    seed_plus: int = 0
    may_eliminate: bool = False
    pause: bool = False
    elimination_share: float = ELIMINATION_SHARE


#: Share of the budget of the side-by-side chain that does route elimination alone; the rest
#: covers building its starts (about 0.1 s on 120 visits at 2 s).
ELIMINATION_CHAIN_SHARE = 0.9


def _plan_chains(specs: list[Spec], eliminate_from_start: bool, may_eliminate: bool, workers: int) -> list[_ChainPlan]:
    """What ``workers`` side-by-side chains do. When route elimination can start from our
    insertion (it serves every visit), one chain spends its whole budget on that attempt and the
    first runs without one: on the 120-visit night of seed 5 at 2 s, a fifth of the budget in each
    chain spared a nurse in 0 of 4 runs, the whole budget of one chain in 4 of 4
    (``benchmarks/README.md``).
    Otherwise the first chain pauses for route elimination. Then the other starts, then OR-Tools'
    start with the next seeds."""
    first, *others = specs
    chains = [_ChainPlan([first])]
    if eliminate_from_start:
        chains.append(_ChainPlan([first], may_eliminate=True, elimination_share=ELIMINATION_CHAIN_SHARE))
    else:
        chains[0] = _ChainPlan([first], may_eliminate=may_eliminate, pause=True)
    chains += [_ChainPlan([s]) for s in others]
    chains += [_ChainPlan([(f"ortools seed +{i}", None)], seed_plus=i) for i in range(1, workers - len(chains) + 1)]
    return chains[:workers]


def _side_by_side(problem: Problem, params: SolveParams, chains: list[_ChainPlan],
                  start: list[list[int]], limit: float) -> list[_Chain]:
    """The first chain in this process, the others at the same time in forked worker processes,
    each with the whole of ``limit``. A worker that fails is logged and left out."""
    ctx = _fork_context()
    assert ctx is not None
    jobs = [(problem, dataclasses.replace(params, seed=params.seed + c.seed_plus), c.specs, start, limit,
             c.may_eliminate, c.pause, c.elimination_share) for c in chains]
    # The fork happens at submit. Python 3.12 warns about forking a process with threads; the only
    # other thread here is numpy's idle OpenBLAS pool, which is fork-safe (it has atfork handlers).
    with ProcessPoolExecutor(max_workers=len(jobs) - 1, mp_context=ctx) as pool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            futures = [pool.submit(_chain_job, job) for job in jobs[1:]]
        out = [_chain_job(jobs[0])]
        for f in futures:
            try:
                out.append(f.result())
            except Exception as e:  # noqa: BLE001 - a lost worker costs its plans, not the night
                log.warning("a side-by-side portfolio run failed: %s: %s", type(e).__name__, e)
    return out


def solve_night(problem: Problem, params: SolveParams) -> SolveResult:
    """Best of the two starts, with route elimination (see module docstring); deterministic
    with a solution limit (no route elimination then).

    With ``params.workers`` of 2 or more and a time limit (on Linux), the runs go side by side
    in worker processes instead of one after the other, each with the whole budget
    (:func:`_plan_chains`): the run from our insertion (in this process), then route elimination
    alone when our insertion serves every visit, the run from OR-Tools' own start, and runs from
    OR-Tools' start with the next seeds (without two-nurse visits, OR-Tools' start takes the
    place of our insertion's run).

    OR-Tools' iterated local search does not stop at a solution limit (measured with 9.15:
    it runs on until the time limit, or forever without one), so a run without a time limit
    uses guided local search, which honours the solution limit.
    """
    if params.time_limit_s is None and params.metaheuristic == "ils":
        params = dataclasses.replace(params, metaheuristic="gls")
    t0 = time.perf_counter()
    two_nurse = any(len(n) == 2 for n in problem.task_nodes)
    limit = params.time_limit_s
    may_eliminate = limit is not None and params.metaheuristic == "ils" and bool(problem.fixed_cost.any())
    side_by_side = limit is not None and params.workers > 1 and _fork_context() is not None
    if not two_nurse and not may_eliminate and not side_by_side:
        return solve_problem(problem, params)
    start = insertion_routes(problem)  # always feasible by our own timing: the floor of the portfolio
    if params.ils_phases is None:  # the chains below are phases of their own; none inside their runs
        params = dataclasses.replace(params, ils_phases=1)
    # OR-Tools' own start needs no help without two-nurse visits (module docstring).
    specs: list[Spec] = [("insertion+ortools", start), ("ortools", None)] if two_nurse else [("ortools", None)]
    if params.ils_removed_visits is None and params.metaheuristic == "ils":
        # every run (and route elimination) sizes its ruin by the same start, nights' own rule
        long = NIGHT_RUIN_LONG if problem.n_tasks <= NIGHT_RUIN_MAX_VISITS else RUIN_LONG
        params = dataclasses.replace(params, ils_removed_visits=ruin_size(start, long=long))
    if side_by_side:
        assert limit is not None
        chains = _plan_chains(specs, may_eliminate and _served_all(problem, start), may_eliminate, params.workers)
        left = limit - (time.perf_counter() - t0)
        results = _side_by_side(problem, params, chains, start, left)
    else:
        results = [_run_chain(problem, params, specs, start, limit, may_eliminate, started=t0)]
    plans: dict[str, list[list[int]]] = {}
    costs: dict[str, int] = {}
    stats: dict[str, float] = {}
    for r in results:
        for name, routes in r.plans.items():
            if name not in plans or r.costs[name] < costs[name]:
                plans[name], costs[name] = routes, r.costs[name]
        for key, value in r.stats.items():
            stats[key] = max(value, stats.get(key, value))
    best = min(costs, key=costs.__getitem__)
    stats.update({f"cost_{k}": float(v) for k, v in costs.items()})
    return SolveResult(plans[best], costs[best], best, time.perf_counter() - t0, sum(r.build_s for r in results),
                       stats)
