"""Coalition costs from routing: what a night service for just some organisations would cost.

The cost of a coalition S is the cost of the cheapest night service for S's clients alone:
shift cost of the nurses it needs (the number of nurses is part of the optimisation, since
each used shift costs its fixed price) plus km cost plus lateness cost, in euros. Every
coalition is a restriction of one compiled night (:func:`~nachtzorg.problem.restrict_tasks`),
so nothing is recompiled.

**Consistency.** A heuristic may price a sub-coalition above what a larger coalition's routes
already show: removing visits from feasible routes keeps them feasible (the checker times
them again to be sure), so each solved coalition is an upper bound for its sub-coalitions.
After all coalitions are solved, a top-down pass replaces a value by the cost of an immediate
superset's (already repaired) routes restricted to S whenever that is cheaper, and records
every repair.

Budgets: the grand coalition gets the full planning budget; a sub-coalition gets a budget
that grows with its number of visits (a warm start from the cheapest of its supersets' routes
restricted to it and, for small coalitions, our joint insertion; the nurses it does not need
taken off by :func:`~nachtzorg.solve.spare_nurses`; then OR-Tools' greedy descent),
so 2^n - 1 solves stay affordable. Restricted routes keep every nurse of the larger night, and
the greedy descent cannot empty a route (each single move out of it costs more; only the last
saves the fixed cost): without the sparing, coalitions would be priced with nurses they do not
need.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from ..exceptions import InputError
from ..model import Scenario
from ..parallel import map_with_progress
from ..problem import Problem, compile_scenario, restrict_tasks, units_to_eur
from ..schedule import schedule_routes, service_cost, total_cost
from ..solve import (
    SolveParams,
    eliminate_route,
    insertion_routes,
    repair,
    solve,
    spare_candidates,
    spare_nurses,
)
from .game import Game

log = logging.getLogger(__name__)

#: Coalitions with at most this many visits also start from our own joint insertion (about 12 ms
#: at 20 visits, 60 ms at 100: too dear for all 1,023 coalitions of a 120-visit night).
OWN_START_MAX_VISITS = 40


@dataclass(frozen=True)
class CoalitionParams:
    """Search budgets for coalition solves (seconds)."""

    grand: SolveParams = field(default_factory=lambda: SolveParams(time_limit_s=5.0))
    base_s: float = 0.02
    per_visit_s: float = 0.0007
    max_s: float = 0.3
    #: Start each coalition from the cheapest of its immediate supersets' routes restricted
    #: to it (top-down by size). Off: independent solves,
    #: so the consistency pass shows how often a heuristic alone prices inconsistently.
    warm_start: bool = True
    #: Seconds per search attempt at a coalition plan with one nurse fewer, where our insertion
    #: alone cannot spare one (two attempts at most per coalition); only for games of at most
    #: ``elimination_max_players`` organisations (63 coalitions), where the time is affordable.
    elimination_s: float = 0.1
    elimination_max_players: int = 6

    def budget(self, n_visits: int) -> float:
        return min(self.max_s, self.base_s + self.per_visit_s * n_visits)


@dataclass
class CoalitionCost:
    """One coalition's service: cost in euros and the routes (grand-problem node lists)."""

    coalition: frozenset[str]
    cost_eur: float
    unserved: int
    routes: list[list[int]]
    solved_cost_eur: float  # before the consistency repair
    repaired_from: frozenset[str] | None = None

    @property
    def nurses(self) -> int:
        return sum(1 for r in self.routes if r)


@dataclass
class CoalitionGame:
    """All coalition costs of a night, their repairs, and the cost game built from them."""

    players: tuple[str, ...]
    costs: dict[frozenset[str], CoalitionCost]
    visits: dict[str, int]
    care_minutes: dict[str, float]
    wall_s: float

    @property
    def repaired(self) -> list[tuple[tuple[str, ...], float, float]]:
        """``(coalition, solved value, repaired value)`` for every repaired coalition."""
        out = []
        for c in sorted(self.costs.values(), key=lambda c: (len(c.coalition), sorted(c.coalition))):
            if c.repaired_from is not None:
                out.append((tuple(p for p in self.players if p in c.coalition), c.solved_cost_eur, c.cost_eur))
        return out

    def to_json(self) -> dict[str, dict]:
        """Every coalition (organisation ids in player order, joined by commas): its cost, nurses,
        unserved visits, the solved value before the consistency repair and where a repair came from."""
        def key(s: frozenset[str]) -> str:
            return ",".join(p for p in self.players if p in s)

        return {key(c.coalition): {"cost_eur": c.cost_eur, "nurses": c.nurses, "unserved_visits": c.unserved,
                                   "solved_cost_eur": c.solved_cost_eur,
                                   "repaired_from": key(c.repaired_from) if c.repaired_from else None}
                for c in self.costs.values()}

    def game(self) -> Game:
        """The cost game (euros), with per-organisation visits and care minutes as attributes."""
        return Game.from_coalitions(
            {s: c.cost_eur for s, c in self.costs.items()}, players=list(self.players), kind="cost",
            attributes={"visits": self.visits, "care_minutes": self.care_minutes},
            name="night service cost by coalition (EUR)",
        )


def _solve_one(sub: Problem, params: SolveParams, starts: list[list[list[int]]],
               elimination_s: float = 0.0) -> list[list[int]]:
    """Worker: routes for one sub-problem (its own node indices): the cheapest of ``starts``
    (and, for small coalitions, our joint insertion), with the nurses it does not need taken off
    by our insertion (:func:`~nachtzorg.solve.spare_nurses`), improved by ``params``'
    search (module docstring)."""
    if sub.n_tasks == 0:
        return [[] for _ in range(sub.n_vehicles)]
    # Restricted supersets' routes keep their nurses, which a coalition alone may not need;
    # small coalitions also get our own insertion.
    own = [insertion_routes(sub)] if not starts or sub.n_tasks <= OWN_START_MAX_VISITS else []
    start = spare_nurses(sub, min([*starts, *own], key=lambda r: _cost_key(sub, r)))
    key = _cost_key(sub, start)
    if elimination_s > 0 and key[0] == 0:
        # Search attempts at a nurse fewer, from the start and from our insertion's plan (the
        # plan whose nurse our insertion comes closest to re-placing first).
        alt = spare_nurses(sub, own[0] if own else insertion_routes(sub))
        plans = [r for r in ([start] if alt == start else [start, alt]) if sum(1 for x in r if x) > 1]
        plans.sort(key=lambda r: (*(spare_candidates(sub, r) or [(1 << 30, 0)])[0][:2], _cost_key(sub, r)))
        for base in plans:
            out = eliminate_route(sub, base, total_cost(sub, start),
                                   SolveParams(time_limit_s=elimination_s, seed=params.seed), elimination_s)
            if out is not None and _cost_key(sub, out[0]) < key:
                start, key = out[0], _cost_key(sub, out[0])
                break
    try:
        res = solve(sub, params, initial=start)
        routes = repair(sub, res.routes)
    except Exception:  # noqa: BLE001 - a failed polish keeps the start
        log.debug("coalition polish failed; keeping the start", exc_info=True)
        return start
    return routes if _cost_key(sub, routes) <= key else start


def _solve_job(job: tuple[Problem, SolveParams, list[list[list[int]]], float]) -> list[list[int]]:
    return _solve_one(*job)


def _cost_key(p: Problem, routes: list[list[int]]) -> tuple[int, int]:
    """(unserved tasks, cost units without penalties); infeasible routes sort last."""
    sched = schedule_routes(p, routes)
    if not sched.feasible:
        return (1 << 30, 0)
    served = {int(p.node_task[n]) for r in routes for n in r}
    return p.n_tasks - len(served), service_cost(p, routes, sched)


def coalition_costs(scenario: Scenario, params: CoalitionParams | None = None, *,
                    executor: Executor | None = None, progress: bool | None = None) -> CoalitionGame:
    """Solve all 2^n - 1 coalitions of the scenario's organisations and repair consistency.

    ``executor``: any :class:`concurrent.futures.Executor` (``None`` = serial in this process;
    a process pool, or Dask's ``Client.get_executor()``).
    """
    t0 = time.perf_counter()
    params = params or CoalitionParams()
    compiled = compile_scenario(scenario)
    p = compiled.problem
    org_of_client = {c.id: c.organisation for c in scenario.clients}
    task_org = [org_of_client[v.client] for v in scenario.visits]
    players = tuple(o.id for o in scenario.organisations)
    visits = {o: sum(1 for x in task_org if x == o) for o in players}
    empty = [o for o, n in visits.items() if n == 0]
    if empty:
        raise InputError(f"organisation(s) {', '.join(map(repr, empty))} have no visits tonight: "
                         "their coalitions would cost nothing; leave them out of the scenario")
    if len(players) > 16:
        raise InputError(f"{len(players)} organisations: 2^n coalitions are too many to solve by routing "
                         "(at most 16); use sampled Shapley on a smaller group")
    care = {o: 0.0 for o in players}
    for v, o in zip(scenario.visits, task_org):
        care[o] += v.duration_min * v.nurses
    tasks_of = {o: [t for t, x in enumerate(task_org) if x == o] for o in players}
    grand = frozenset(players)

    coalitions = [frozenset(c) for k in range(1, len(players) + 1) for c in combinations(players, k)]
    subs: dict[frozenset[str], tuple[Problem, np.ndarray]] = {}
    for s in coalitions:
        tasks = sorted(t for o in s for t in tasks_of[o])
        subs[s] = restrict_tasks(p, tasks)

    # grand coalition: the full planning search
    g_sub, g_map = subs[grand]
    g_routes = solve(g_sub, params.grand).routes
    routes: dict[frozenset[str], list[list[int]]] = {grand: [[int(g_map[n]) for n in r] for r in g_routes]}

    keep_of = {s: {t for o in s for t in tasks_of[o]} for s in coalitions}

    def restricted(routes_t: list[list[int]], s: frozenset[str]) -> list[list[int]]:
        return [[n for n in r if int(p.node_task[n]) in keep_of[s]] for r in routes_t]

    n = len(players)
    elimination_s = params.elimination_s if n <= params.elimination_max_players else 0.0
    for size in range(n - 1, 0, -1):
        level = [s for s in coalitions if len(s) == size]
        jobs = []
        for s in level:
            sub, node_map = subs[s]
            starts = []
            if params.warm_start:  # supersets' routes restricted to S (the worker takes the cheapest)
                new_of = {int(o): i for i, o in enumerate(node_map)}
                starts = [[[new_of[x] for x in r] for r in restricted(routes[s | {e}], s)] for e in grand - s]
            budget = params.budget(sub.n_tasks)
            jobs.append((sub, SolveParams(time_limit_s=budget, seed=params.grand.seed).replace(metaheuristic="greedy"),
                         starts, elimination_s))
        results = map_with_progress(_solve_job, jobs, executor=executor, progress=progress,
                                    desc=f"coalitions of {size}")
        for s, r in zip(level, results):
            _, node_map = subs[s]
            routes[s] = [[int(node_map[x]) for x in route] for route in r]

    costs: dict[frozenset[str], CoalitionCost] = {}
    for s in sorted(coalitions, key=len, reverse=True):
        own = _evaluate(p, routes[s], s, tasks_of)
        best = own
        best_routes, source = routes[s], None
        for extra in (grand - s) if s != grand else ():
            cut = restricted(costs[s | {extra}].routes, s)
            cand = _evaluate(p, cut, s, tasks_of)
            if cand is not None and (best is None or cand < best):
                best, best_routes, source = cand, cut, s | {extra}
        if best is None:  # pragma: no cover - schedule rejects the solver's own routes
            raise RuntimeError(f"no feasible routes for coalition {sorted(s)}")
        unserved, units = best
        costs[s] = CoalitionCost(
            coalition=s, cost_eur=round(units_to_eur(units), 2), unserved=unserved, routes=best_routes,
            solved_cost_eur=round(units_to_eur(own[1]), 2) if own else float("nan"),
            repaired_from=source if (own is None or best < own) else None,
        )
    game = CoalitionGame(players, costs, visits, care, time.perf_counter() - t0)
    n_rep = len(game.repaired)
    log.info("solved %d coalitions in %.1f s; %d repaired", len(coalitions), game.wall_s, n_rep)
    return game


def _evaluate(p: Problem, routes: list[list[int]], s: Iterable[str],
              tasks_of: dict[str, list[int]]) -> tuple[int, int] | None:
    """(unserved tasks of S, cost units) of routes, or None when they cannot be timed."""
    sched = schedule_routes(p, routes)
    if not sched.feasible:
        return None
    served = {int(p.node_task[n]) for r in routes for n in r}
    unserved = sum(1 for o in s for t in tasks_of[o] if t not in served)
    return unserved, service_cost(p, routes, sched)
