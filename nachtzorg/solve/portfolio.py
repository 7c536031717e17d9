"""Night solve: OR-Tools' own start and our joint-insertion start, keep the cheaper plan.

Without two-nurse visits this is just :func:`solve_problem`. With them, OR-Tools' first
solution tends to leave two-nurse visits out (their synchronisation is a generic constraint
its insertion filters do not see) and can be slow to appear, so half of the budget goes to a
run started from :func:`insertion_routes` (handed to OR-Tools' iterated local search through the
evaluator first-solution strategy: ``warm_ils``), half to OR-Tools' own start; both results get a
repair pass that inserts leftover visits, and the construction itself is the fallback when
neither run finds anything within its budget.
Each candidate is re-timed and costed by our own schedule, not by the solver's word.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from ..exceptions import SolverError
from ..problem import Problem
from ..schedule import schedule_routes, total_cost
from .insertion import insertion_routes, repair_routes
from .search import SolveParams, SolveResult, ruin_size, solve_problem

log = logging.getLogger(__name__)


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
    start = insertion_routes(problem)  # always feasible by our own timing: the floor of the portfolio
    if half.ils_removed_visits is None:  # both runs size their ruin by the same start
        half = dataclasses.replace(half, ils_removed_visits=ruin_size(start))
    runs: list[tuple[str, list[list[int]]]] = [("insertion", start)]
    build_s = 0.0
    for name, initial in (("insertion+ortools", start), ("ortools", None)):
        try:
            res = solve_problem(problem, half, initial_routes=initial, warm_ils=True)
        except SolverError as e:  # e.g. OR-Tools' own start did not finish within a short budget
            log.info("portfolio run %s found nothing: %s", name, e)
            continue
        build_s += res.build_s
        runs.append((name, _repaired(problem, res.routes)))
    costs = {name: total_cost(problem, r) for name, r in runs}
    best_name, best_routes = min(runs, key=lambda x: costs[x[0]])
    stats = {f"cost_{k}": float(v) for k, v in costs.items()}
    return SolveResult(best_routes, costs[best_name], best_name, time.perf_counter() - t0, build_s, stats)
