"""Large plain VRPTW instances: improve groups of nearby routes one at a time (POPMUSIC-style).

On 1000 customers OR-Tools' first descent alone takes longer than a minute's budget allows
(every operator scans the full neighbourhood). Here the whole problem is
never searched at once: a start from our own regret insertion, then rounds in which the routes are
partitioned into groups of nearby routes holding about ``group_size`` visits, and each group — a
small VRPTW of its own visits and as many vehicles as it has routes, plus one — is improved by
OR-Tools' iterated local search warm-started from its current routes. A group's new routes replace
the old only when they cost less and serve every visit, so the solution never gets worse. Groups
are re-drawn around random seed routes every round, so visits meet new neighbours.

Only for plain problems (:func:`.construct.is_plain`: identical vehicles at one depot, one window
per visit) without shift costs; :func:`~nachtzorg.solve.solve` picks it.
"""

from __future__ import annotations

import logging
import time as _time

import numpy as np

from ..problem import Problem, restrict_tasks, restrict_vehicles
from .construct import is_plain, regret_insertion
from .params import SolveParams, SolveResult
from .search import search

log = logging.getLogger(__name__)

#: Plain problems with at least this many visits are solved by decomposition by default.
DECOMPOSE_MIN_TASKS = 400


def _cost(problem: Problem, routes: list[list[int]]) -> int:
    """Fixed plus distance cost of routes on identical vehicles (plain problems have no lateness)."""
    return sum(problem.route_cost(0, r) for r in routes if r)


def _route_gaps(problem: Problem, routes: list[list[int]]) -> np.ndarray:
    """``gap[a, b]``: the shortest distance between a visit of route a and one of route b."""
    nodes = np.array([n for r in routes for n in r], dtype=np.int64)
    starts = np.cumsum([0] + [len(r) for r in routes[:-1]])
    d = problem.distance[np.ix_(nodes, nodes)]
    d = np.minimum(d, d.T)
    by_row = np.minimum.reduceat(d, starts, axis=0)
    return np.minimum.reduceat(by_row, starts, axis=1)


def _groups(problem: Problem, routes: list[list[int]], group_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Partition route indices into groups of nearby routes with about ``group_size`` visits."""
    gaps = _route_gaps(problem, routes)
    left = set(range(len(routes)))
    out: list[list[int]] = []
    while left:
        seed = int(rng.choice(sorted(left)))
        group, visits = [], 0
        for r in np.argsort(gaps[seed], kind="stable"):
            r = int(r)
            if r in left and (visits < group_size or not group):
                group.append(r)
                visits += len(routes[r])
        left -= set(group)
        out.append(group)
    return out


def _improve(problem: Problem, routes: list[list[int]], time_s: float, seed: int,
             spare: int = 1) -> list[list[int]] | None:
    """OR-Tools' ILS on the sub-problem of ``routes``' visits with ``spare`` more vehicles than
    routes, warm-started from them; the new routes (original node numbers) when they serve
    every visit, else ``None``."""
    tasks = [int(problem.node_task[n]) for r in routes for n in r]
    sub, node_map = restrict_tasks(problem, tasks)
    k = len(routes) + spare
    sub = restrict_vehicles(sub, list(range(k)))
    new_of = {int(old): new for new, old in enumerate(node_map)}
    start = [[new_of[n] for n in r] for r in routes]
    res = search(sub, SolveParams(time_limit_s=time_s, seed=seed), start)
    out = [[int(node_map[n]) for n in r] for r in res.routes if r]
    if sum(len(r) for r in out) != len(tasks):
        return None
    return out


def solve_decomposed(problem: Problem, params: SolveParams, *, group_size: int = 100,
                     group_time_s: float = 0.25) -> SolveResult:
    """Regret-insertion start, then rounds of route-group improvement until ``time_limit_s``
    (see module docstring). Falls back to :func:`.search.search` when the problem is not plain,
    has no time limit, or the start leaves a visit out."""
    t0 = _time.perf_counter()
    if not is_plain(problem) or params.time_limit_s is None:
        return search(problem, params)
    deadline = t0 + params.time_limit_s
    start = regret_insertion(problem, seed=params.seed)
    if start is None or sum(len(r) for r in start) != problem.n_tasks:
        log.info("decomposition: no complete start; solving the whole problem")
        return search(problem, params)
    routes = [r for r in start if r]
    t_start = _time.perf_counter() - t0
    rng = np.random.default_rng(params.seed)
    rounds = groups_tried = groups_improved = 0
    while deadline - _time.perf_counter() > 0.3:
        rounds += 1
        # The groups of one partition share no route, so each is improved on its own and the
        # round's routes are the union of the groups' best routes.
        next_routes: list[list[int]] = []
        n_routes = len(routes)
        for group in _groups(problem, routes, group_size, rng):
            old = [routes[i] for i in group]
            left = deadline - _time.perf_counter()
            new = None
            if left >= 0.3:
                groups_tried += 1
                spare = 1 if n_routes < problem.n_vehicles else 0  # never more routes than vehicles
                new = _improve(problem, old, min(group_time_s, left), int(rng.integers(1 << 30)), spare)
            if new is not None and _cost(problem, new) < _cost(problem, old):
                groups_improved += 1
                n_routes += len(new) - len(old)
                next_routes += new
            else:
                next_routes += old
        routes = next_routes
    if len(routes) > problem.n_vehicles:  # guarded above; kept as a safety net
        log.warning("decomposition used %d routes for %d vehicles; solving the whole problem",
                    len(routes), problem.n_vehicles)
        return search(problem, params)
    out = routes + [[] for _ in range(problem.n_vehicles - len(routes))]
    wall = _time.perf_counter() - t0
    stats = {"start_s": t_start, "rounds": rounds, "groups_tried": groups_tried,
             "groups_improved": groups_improved}
    return SolveResult(out, _cost(problem, routes), "timeout", wall, t_start, stats)
