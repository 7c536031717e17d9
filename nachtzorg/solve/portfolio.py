"""Night solve: OR-Tools' own start and our joint-insertion start, keep the cheaper plan.

Without two-nurse visits this is just :func:`solve_problem`. With them, OR-Tools' first
solution tends to leave two-nurse visits out (their synchronisation is a generic constraint
its insertion filters do not see), so half of the budget goes to a run started from
:func:`insertion_routes`; both results get a repair pass that inserts leftover visits.
Each candidate is re-timed and costed by our own schedule, not by the solver's word.
"""

from __future__ import annotations

import dataclasses
import time

from ..problem import Problem
from ..schedule import schedule_routes, total_cost
from .insertion import insertion_routes, repair_routes
from .search import SolveParams, SolveResult, solve_problem


def _repaired(problem: Problem, routes: list[list[int]]) -> list[list[int]]:
    sched = schedule_routes(problem, routes)
    if not sched.feasible:
        return routes
    fixed = repair_routes(problem, routes, sched.start_of())
    return fixed if schedule_routes(problem, fixed).feasible else routes


def solve_night(problem: Problem, params: SolveParams) -> SolveResult:
    """Best of the two starts (see module docstring); deterministic with a solution limit.

    OR-Tools' iterated local search does not stop at a solution limit (measured with 9.15:
    it runs on until the time limit, or forever without one), so a run without a time limit
    uses guided local search, which honours the solution limit.
    """
    if params.time_limit_s is None and params.metaheuristic == "ils":
        params = dataclasses.replace(params, metaheuristic="gls")
    if not any(len(n) == 2 for n in problem.task_nodes):
        return solve_problem(problem, params)
    t0 = time.perf_counter()
    half = dataclasses.replace(params, time_limit_s=params.time_limit_s / 2 if params.time_limit_s else None)
    runs = []
    a = solve_problem(problem, half)
    runs.append((a, _repaired(problem, a.routes)))
    b = solve_problem(problem, half, initial_routes=insertion_routes(problem))
    runs.append((b, _repaired(problem, b.routes)))
    best_res, best_routes = min(runs, key=lambda x: total_cost(problem, x[1]))
    return SolveResult(best_routes, total_cost(problem, best_routes), best_res.status,
                       time.perf_counter() - t0, a.build_s + b.build_s,
                       {"start_a_cost": total_cost(problem, runs[0][1]),
                        "start_b_cost": total_cost(problem, runs[1][1])})
