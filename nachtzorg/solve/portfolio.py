"""The night strategy: OR-Tools' own start and our joint-insertion start, keep the cheaper
plan; and route elimination, a plan with one nurse fewer (:mod:`.fleet`).

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

Route minimisation (time-limited runs, nurses with a fixed cost), a phase of its own: a nurse's
shift costs more than any detour, so up to :data:`MINIMISATION_SHARE` of the budget goes to
taking nurses off one after another (:func:`~.fleet.minimise_routes`): her visits are taken out,
our insertion puts back what fits on the other used routes, and OR-Tools' iterated local search
absorbs the rest in short slices, stopping at the first plan that is cheaper by our own costing.
It runs from our insertion's plan when that serves every visit, and again halfway through the
runs from the best plan so far (a run is paused for it), and stops early when the plan uses as
few nurses as the lower bound (:func:`~nachtzorg.bounds.nurses_lower_bound`) says the night
needs. Once a nurse is off, the rest of the budget improves the plan without her. The search
alone rarely empties a route: each single move out of a route of 15-20 visits costs more, and
only the last one saves the fixed cost.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

from ..bounds import nurses_lower_bound
from ..exceptions import SolverError
from ..problem import Problem
from ..schedule import plan_cost, total_cost
from .fleet import (
    MAX_FAILED_ATTEMPTS,
    honour_priorities,
    minimise_routes,
    repair,
    served_all,
)
from .insertion import insertion_routes
from .params import SolveParams, SolveResult
from .search import RUIN_LONG, ruin_size, search

log = logging.getLogger(__name__)


#: SISR ruin size on nights of up to :data:`NIGHT_RUIN_MAX_VISITS` visits whose routes are long
#: (:func:`~.search.ruin_size`): 40 visits instead of the 30 of long VRPTW routes; larger nights
#: keep 30 (40 served fewer visits on over-full 200-visit nights).
NIGHT_RUIN_LONG = 40
NIGHT_RUIN_MAX_VISITS = 120

#: Share of a time-limited budget for each attempt at taking a nurse off (:func:`~.fleet._attempt`,
#: which stops at its first success), and the most that route minimisation may spend in all.
ELIMINATION_SHARE = 0.2
MINIMISATION_SHARE = 0.6
#: A portfolio run with less time than this (seconds) is not started.
MIN_RUN_S = 0.05


def guided(problem: Problem) -> bool:
    """Whether OR-Tools' own first solutions need our insertion's start beside them: two-nurse
    visits, dependent visits and breaks are generic constraints its construction does not see,
    so it tends to leave such visits out or pile up lateness."""
    return any(len(n) == 2 for n in problem.task_nodes) or bool(problem.dependencies) or any(problem.breaks)


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
               pause_for_elimination: bool = False, elimination_share: float = MINIMISATION_SHARE,
               started: float | None = None) -> _Chain:
    """The portfolio runs of ``specs`` one after the other within ``limit`` seconds (``None``:
    solution-limited), each with an equal share of what is left, and route minimisation, with at
    most ``elimination_share`` of ``limit`` in all, before the first run and before the last one
    when the best plan so far serves every visit (module docstring). A single run is paused
    halfway for it. ``params``: the search parameters of the runs and of route minimisation.

    ``pause_for_elimination``: when route minimisation may apply but ``start`` leaves visits out,
    a chain of several runs gets one more, from the best plan, so that route minimisation can
    start from the plan before it. ``started``: the ``time.perf_counter()`` from which ``limit``
    counts (default: now), so that work done before the chain, such as building ``start``, is
    in it."""
    t0 = time.perf_counter() if started is None else started
    continued = -1
    if may_eliminate and (len(specs) == 1 or (pause_for_elimination and not served_all(problem, start))):
        specs = [*specs, (f"{specs[-1][0]} continued", None)]
        continued = len(specs) - 1
    two_nurse = guided(problem)
    plans = {"insertion": start}
    costs = {"insertion": plan_cost(problem, start)}
    stats: dict[str, float] = {}
    build_s = 0.0
    within = problem  # without the nurses route minimisation took off
    minimising_left = limit * elimination_share if may_eliminate and limit is not None else 0.0
    floor = nurses_lower_bound(problem).nurses if may_eliminate else 0
    for k, (name, initial) in enumerate(specs):
        best = min(costs, key=costs.__getitem__)
        if minimising_left > 0 and k in (0, len(specs) - 1) and served_all(problem, plans[best]):
            assert limit is not None
            tm = time.perf_counter()
            left = limit - (tm - t0)
            routes, cost, within, taken = minimise_routes(
                within, plans[best], costs[best], params, min(left, minimising_left), limit * ELIMINATION_SHARE,
                floor=floor, max_failed=1 if k == 0 and k != len(specs) - 1 else MAX_FAILED_ATTEMPTS)
            minimising_left -= time.perf_counter() - tm
            stats["route_eliminated"] = stats.get("route_eliminated", 0.0) + taken
            if taken:
                plans["route elimination"], costs["route elimination"] = routes, cost
                best = "route elimination"
        if within is not problem:  # a nurse is off: the runs go on from the best plan without her
            initial, name = plans[best], "route elimination"
        seconds = None
        if limit is not None:  # an equal share of what is left, the last run all of it
            seconds = (limit - (time.perf_counter() - t0)) / (len(specs) - k)
            if seconds < MIN_RUN_S:
                break
        if k == continued:
            initial = plans[best]
        try:
            res = search(within, params.replace(time_limit_s=seconds), initial)
        except SolverError as e:  # e.g. OR-Tools' own start did not finish within a short budget
            log.info("portfolio run %s found nothing: %s", name, e)
            continue
        build_s += res.build_s
        routes = repair(within, res.routes) if two_nurse else res.routes
        cost = plan_cost(problem, routes)
        if name not in costs or cost < costs[name]:
            plans[name], costs[name] = routes, cost
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
    elimination_share: float = MINIMISATION_SHARE


#: Share of the budget of the side-by-side chain that does route elimination alone; the rest
#: covers building its starts.
ELIMINATION_CHAIN_SHARE = 0.9


def _plan_chains(specs: list[Spec], eliminate_from_start: bool, may_eliminate: bool, workers: int) -> list[_ChainPlan]:
    """What ``workers`` side-by-side chains do. When route elimination can start from our
    insertion (it serves every visit), one chain spends its whole budget on that attempt and the
    first runs without one (a fifth of each chain's budget is rarely enough to spare a nurse).
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
    jobs = [(problem, params.replace(seed=params.seed + c.seed_plus), c.specs, start, limit,
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

    OR-Tools' iterated local search does not stop at a solution limit (9.15: it runs on until
    the time limit, or forever without one), so a run without a time limit uses guided local
    search, which honours the solution limit.
    """
    tuning = params.tuning
    if params.time_limit_s is None and tuning.metaheuristic == "ils":
        tuning = tuning.replace(metaheuristic="gls")
    t0 = time.perf_counter()
    two_nurse = guided(problem)
    limit = params.time_limit_s
    ils = tuning.metaheuristic == "ils"
    may_eliminate = limit is not None and ils and bool(problem.fixed_cost.any())
    side_by_side = limit is not None and params.workers > 1 and _fork_context() is not None
    if not two_nurse and not may_eliminate and not side_by_side:
        try:
            res = search(problem, params.replace(tuning=tuning))
        except SolverError as e:  # OR-Tools found no first solution: our insertion is the plan
            log.info("search found nothing, our insertion's plan is kept: %s", e)
            routes = insertion_routes(problem)
            res = SolveResult(routes, plan_cost(problem, routes), "insertion", time.perf_counter() - t0, 0.0,
                              {"search_failed": 1.0})
        swapped = honour_priorities(problem, res.routes)
        if swapped is not res.routes:
            res = SolveResult(swapped, total_cost(problem, swapped), res.status, res.wall_s, res.build_s,
                              {**res.stats, "priority_swaps": 1.0})
        return res
    start = insertion_routes(problem)  # always feasible by our own timing: the floor of the portfolio
    # OR-Tools' own start needs no help without two-nurse visits or other links (module docstring).
    specs: list[Spec] = [("insertion+ortools", start), ("ortools", None)] if two_nurse else [("ortools", None)]
    changes: dict[str, int] = {}
    if tuning.ils_phases is None:  # the chains below are phases of their own; none inside their runs
        changes["ils_phases"] = 1
    if tuning.ils_removed_visits is None and ils:
        # every run (and route elimination) sizes its ruin by the same start, nights' own rule
        long = NIGHT_RUIN_LONG if problem.n_tasks <= NIGHT_RUIN_MAX_VISITS else RUIN_LONG
        changes["ils_removed_visits"] = ruin_size(start, long=long)
    params = params.replace(tuning=tuning.replace(**changes))
    if side_by_side:
        assert limit is not None
        chains = _plan_chains(specs, may_eliminate and served_all(problem, start), may_eliminate, params.workers)
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
    routes, cost = plans[best], costs[best]
    swapped = honour_priorities(problem, routes)
    if swapped is not routes:
        routes, cost = swapped, total_cost(problem, swapped)
        stats["priority_swaps"] = 1.0
    return SolveResult(routes, cost, best, time.perf_counter() - t0, sum(r.build_s for r in results), stats)
