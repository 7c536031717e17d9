"""Fewer nurses: route elimination around the search.

A nurse's shift costs far more than any detour, but a local search rarely empties a route: each
single move out of a route of 15-20 visits costs more, and only the last one saves the fixed
cost. Here a nurse is taken off (:func:`without_route`), our insertion puts her visits back on
the others (:func:`repair`), and the search improves from there (:func:`eliminate_route`);
:func:`minimise_routes` repeats that as a phase, one nurse after another, down to a lower
bound; :func:`spare_nurses` does the same by insertion alone, for searches too short to help.
"""

from __future__ import annotations

import logging
import time

from ..exceptions import SolverError
from ..problem import Problem, forbid_vehicle, staffed
from ..schedule import plan_cost, schedule_routes, total_cost
from .insertion import insertion_routes, repair_routes
from .params import SolveParams
from .search import search

log = logging.getLogger(__name__)


def repair(problem: Problem, routes: list[list[int]]) -> list[list[int]]:
    """``routes`` with left-out visits inserted where they fit (unchanged if they cannot be timed)."""
    sched = schedule_routes(problem, routes)
    if not sched.feasible:
        return routes
    fixed = repair_routes(problem, routes, sched.start_of())
    return fixed if schedule_routes(problem, fixed).feasible else routes


def left_over(problem: Problem, routes: list[list[int]]) -> int:
    """Visits (tasks) not fully on ``routes``."""
    on = {n for r in routes for n in r}
    return sum(1 for nodes in problem.task_nodes if not all(x in on for x in nodes))


def served_all(problem: Problem, routes: list[list[int]]) -> bool:
    return left_over(problem, routes) == 0


def without_route(problem: Problem, routes: list[list[int]], vehicle: int) -> tuple[Problem, list[list[int]]]:
    """``problem`` with ``vehicle`` off the shift (no visit allows it), and ``routes`` without her
    visits: her route emptied, and the partner copies of her two-nurse visits taken off the
    other routes (OR-Tools keeps both copies of a two-nurse visit in or out together).

    The nurses without a route stay off as well, from every visit another nurse may still do:
    else her visits move to one of them, which costs a shift as much as hers, and no nurse is
    spared. (A visit is never left with no nurse by that: OR-Tools' iterated local search can
    stall on tiny problems where visits have none.)"""
    gone = {x for n in routes[vehicle] for x in problem.task_nodes[int(problem.node_task[n])]}
    rest = [[] if v == vehicle else [n for n in r if n not in gone] for v, r in enumerate(routes)]
    idle = [v for v, r in enumerate(routes) if v != vehicle and not r]
    return forbid_vehicle(problem, vehicle, also=idle), rest


def _short_of_nurses(problem: Problem) -> int:
    """Tasks whose copies cannot all get a nurse (a two-nurse task: two different ones)."""
    return sum(1 for nodes in problem.task_nodes if not staffed(problem.allowed[list(nodes)]))


def _searchable(problem: Problem, reduced: Problem) -> bool:
    """Whether taking a nurse off leaves every task the nurses it needs, as in ``problem``:
    OR-Tools' iterated local search can run past its time limit on a two-nurse visit whose
    copies are left one nurse between them, so such an attempt is not made."""
    return _short_of_nurses(reduced) <= _short_of_nurses(problem)


def spare_candidates(problem: Problem, routes: list[list[int]]) -> list[tuple[int, int, int, Problem, list[list[int]]]]:
    """For every used route, best first: (visits our insertion leaves over when that nurse is
    taken off and her visits are put back on the other routes, her number of visits, the
    vehicle, the problem without her, those routes). About 10 ms per route at 100 visits."""
    out = []
    for v, r in enumerate(routes):
        if not r:
            continue
        reduced, rest = without_route(problem, routes, v)
        if not _searchable(problem, reduced):
            continue
        rest = repair(reduced, rest)
        out.append((left_over(problem, rest), len(r), v, reduced, rest))
    out.sort(key=lambda c: c[:3])
    return out


def scratch_candidates(problem: Problem, routes: list[list[int]]) -> list[tuple[int, int, int, Problem, list[list[int]]]]:
    """Like :func:`spare_candidates`, but our insertion builds the night anew without one nurse
    of each kind (start and end place, qualification, shift, costs) instead of re-placing her
    visits in the current plan. Nurses of a kind are interchangeable; the last of each kind is
    taken off (taking the first of a kind off spared a nurse less often). About 50 ms per kind
    at 120 visits."""
    p = problem
    kinds: dict[tuple[object, ...], int] = {}
    for v, r in enumerate(routes):
        if r:
            place = (p.distance[p.start_node[v]].tobytes(), p.distance[:, p.end_node[v]].tobytes())
            kinds[(*place, int(p.vehicle_level[v]), p.allowed[:, v].tobytes(), int(p.shift_start[v]), int(p.shift_end[v]),
                   int(p.fixed_cost[v]), int(p.cost_per_m[v]))] = v
    out = []
    for v in kinds.values():
        reduced, _ = without_route(p, routes, v)
        if not _searchable(p, reduced):
            continue
        fresh = insertion_routes(reduced)
        out.append((left_over(p, fresh), len(routes[v]), v, reduced, fresh))
    return out


def spare_nurses(problem: Problem, routes: list[list[int]], tries: int = 1) -> list[list[int]]:
    """Route elimination by our insertion alone, no search: while the visits of some nurse all
    fit on the other routes and the plan gets cheaper, she is taken off (the ``tries`` shortest
    routes are tried each round; about 10 ms each at 100 visits). For coalition solves, whose
    search budgets (hundredths of a second, greedy descent) cannot empty a route: each single
    move out of it costs more, only the last saves the fixed cost."""
    if not problem.fixed_cost.any():
        return routes
    cost = plan_cost(problem, routes)
    within = problem
    spared = True
    while spared and sum(1 for r in routes if r) > 1:
        spared = False
        for _, v in sorted((len(r), v) for v, r in enumerate(routes) if r)[:tries]:
            reduced, rest = without_route(within, routes, v)
            rest = repair(reduced, rest)
            if served_all(problem, rest) < served_all(problem, routes):
                continue  # her visits did not all fit: no cheaper plan (penalties), skip the costing
            c = plan_cost(problem, rest)
            if c < cost:
                routes, cost, within, spared = rest, c, reduced, True
                break
    return routes


def eliminate_route(problem: Problem, routes: list[list[int]], cost: int, params: SolveParams,
                     seconds: float) -> tuple[list[list[int]], int, Problem] | None:
    """One attempt at a plan with one nurse fewer (module docstring): the cheaper plan, its cost
    and the problem without that nurse, or ``None``. The nurse is the one whose visits our
    insertion re-places best (fewest visits left over, then fewest visits), so the search
    starts as close to a complete plan as our insertion gets; when every such start leaves
    visits over, a night built anew without one nurse (:func:`scratch_candidates`) is the
    start if it leaves fewer."""
    return _attempt(problem, routes, cost, params, seconds)[0]


def _attempt(problem: Problem, routes: list[list[int]], cost: int, params: SolveParams, seconds: float,
             skip: frozenset[int] = frozenset(), first_cheaper: bool = False,
             ) -> tuple[tuple[list[list[int]], int, Problem] | None, int | None]:
    """:func:`eliminate_route` with the nurses in ``skip`` kept on; also returns the nurse tried
    (``None``: no nurse could be tried). ``first_cheaper``: the search runs in slices of
    ``seconds / ATTEMPT_SLICES`` (at least :data:`MIN_SLICE_S`), each going on from the last,
    and stops at the first plan cheaper than ``cost``: OR-Tools' iterated local search does not
    stop early from a solution callback (9.15), and most successful attempts succeed in their
    first slices, so the time saved goes to the next nurse or to the cost."""
    if sum(1 for r in routes if r) < 2:
        return None, None
    cands = [c for c in spare_candidates(problem, routes) if c[2] not in skip]
    if not cands:
        return None, None
    best = cands[0]
    if best[0] > 0:  # some visits left over: a plan built anew without a nurse may leave fewer
        fresh = [c for c in scratch_candidates(problem, routes) if c[2] not in skip]
        if fresh and (f := min(fresh, key=lambda c: c[:3]))[0] < best[0]:
            best = f
    _, _, vehicle, reduced, rest = best
    if not first_cheaper:
        better = improve(problem, reduced, rest, cost, params, seconds)
        return (None if better is None else (*better, reduced)), vehicle
    deadline = time.perf_counter() + seconds
    slice_s = max(seconds / ATTEMPT_SLICES, MIN_SLICE_S)
    while (left := deadline - time.perf_counter()) >= MIN_ATTEMPT_S:
        try:
            res = search(reduced, params.replace(time_limit_s=min(slice_s, left)), rest)
        except SolverError as e:
            log.info("route elimination found nothing: %s", e)
            break
        candidate = repair(reduced, res.routes)
        if schedule_routes(problem, candidate).feasible and (c := total_cost(problem, candidate)) < cost:
            return (candidate, c, reduced), vehicle
        rest = res.routes  # the next slice goes on from the fewest visits left over so far
    return None, vehicle


#: Attempts at taking one nurse off that may fail in a row, each with another nurse, before
#: route minimisation gives up (a success starts the count again).
MAX_FAILED_ATTEMPTS = 2


def minimise_routes(problem: Problem, routes: list[list[int]], cost: int, params: SolveParams, seconds: float,
                    attempt_s: float, floor: int = 1, max_failed: int = MAX_FAILED_ATTEMPTS,
                    ) -> tuple[list[list[int]], int, Problem, int]:
    """Route minimisation as a phase of its own: one nurse off after another
    (:func:`eliminate_route`, each attempt with ``attempt_s`` seconds of search), while the plan
    without her is cheaper by our own costing, within ``seconds`` in all. A failed attempt is
    retried with the next nurse, up to ``max_failed`` attempts in a row. Stops at ``floor``
    used routes (a lower bound on the nurses the night needs: nothing to gain below it).

    Returns the best plan, its cost, the problem without the nurses taken off (``problem`` when
    none was) and how many fewer nurses it uses (one attempt can spare more than one)."""
    deadline = time.perf_counter() + seconds
    within, failed, used = problem, 0, sum(1 for r in routes if r)
    skip: frozenset[int] = frozenset()
    while sum(1 for r in routes if r) > max(floor, 1) and failed < max_failed:
        left = deadline - time.perf_counter()
        if left < MIN_ATTEMPT_S:
            break
        out, vehicle = _attempt(within, routes, cost, params, min(attempt_s, left), skip, first_cheaper=True)
        log.debug("route minimisation: nurse %s off %s after %.2f s", vehicle, "failed" if out is None else "worked",
                  seconds - (deadline - time.perf_counter()))
        if vehicle is None:
            break
        if out is None:
            failed, skip = failed + 1, skip | {vehicle}
            continue
        routes, cost, within = out
        failed, skip = 0, frozenset()
    return routes, cost, within, used - sum(1 for r in routes if r)


#: An attempt at taking a nurse off with less time than this (seconds) is not started.
MIN_ATTEMPT_S = 0.05
#: Slices of an attempt (:func:`_attempt`), and the shortest slice, seconds.
ATTEMPT_SLICES = 4
MIN_SLICE_S = 0.5


def improve(problem: Problem, within: Problem, routes: list[list[int]], cost: int, params: SolveParams,
             seconds: float) -> tuple[list[list[int]], int] | None:
    """OR-Tools' iterated local search on ``within`` (``problem`` or a restriction of it) from
    ``routes`` for ``seconds``; the plan and its cost when cheaper than ``cost``, else ``None``."""
    if seconds <= 0:
        return None
    try:
        res = search(within, params.replace(time_limit_s=seconds), routes)
    except SolverError as e:
        log.info("route elimination found nothing: %s", e)
        return None
    candidate = repair(within, res.routes)
    if not schedule_routes(problem, candidate).feasible:
        return None
    c = total_cost(problem, candidate)
    return (candidate, c) if c < cost else None




#: Served visits tried per left-out visit when looking for a priority swap (the lowest
#: priorities with overlapping windows first).
PRIORITY_SWAP_TRIES = 30


def honour_priorities(problem: Problem, routes: list[list[int]]) -> list[list[int]]:
    """``routes`` where no visit is left out while a visit of lower priority (a smaller penalty)
    is served in its place: for every left-out visit, highest priority first, the served visits
    of lower priority whose windows overlap its own are taken out one at a time, the left-out
    visit is inserted, and the other is put back where it still fits; a swap is kept when the
    plan is then cheaper by our own costing (a left-out visit's penalty is far above any
    detour). The search's result can break this at a short budget."""
    sched = schedule_routes(problem, routes)
    if not sched.feasible:
        return routes
    p = problem
    pen = p.task_penalty
    served = {int(p.node_task[n]) for r in routes for n in r}
    missing = sorted((t for t in range(p.n_tasks) if t not in served), key=lambda t: -int(pen[t]))
    if not missing or not served or int(pen[missing[0]]) <= min(int(pen[t]) for t in served):
        return routes
    cost = total_cost(p, routes, sched)
    span = {t: (int(p.windows[n[0]][0, 0]), int(p.windows[n[0]][-1, 1]) + int(p.max_late[n[0]]))
            for t, n in enumerate(p.task_nodes)}
    for u in missing:
        if any(x in {n for r in routes for n in r} for x in p.task_nodes[u]):
            continue
        lo, hi = span[u]
        now_served = {int(p.node_task[n]) for r in routes for n in r}
        cands = sorted((t for t in now_served if pen[t] < pen[u] and span[t][0] <= hi and span[t][1] >= lo),
                       key=lambda t: (int(pen[t]), t))[:PRIORITY_SWAP_TRIES]
        for s in cands:
            gone = set(p.task_nodes[s])
            rest = [[n for n in r if n not in gone] for r in routes]
            rest_sched = schedule_routes(p, rest)
            if not rest_sched.feasible:
                continue
            new = repair_routes(p, rest, rest_sched.start_of(), only=[u])
            if not all(x in {n for r in new for n in r} for x in p.task_nodes[u]):
                continue
            new_sched = schedule_routes(p, new)
            if not new_sched.feasible:
                continue
            new = repair_routes(p, new, new_sched.start_of())  # the other one back, where it fits
            new_sched = schedule_routes(p, new)
            if new_sched.feasible and (c := total_cost(p, new, new_sched)) < cost:
                routes, cost = new, c
                break
    return routes
