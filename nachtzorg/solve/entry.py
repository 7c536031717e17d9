"""The one way into the solver: :func:`solve` picks the strategy for the problem at hand."""

from __future__ import annotations

from ..problem import Problem
from .construct import is_plain
from .decompose import DECOMPOSE_MIN_TASKS, solve_decomposed
from .params import SolveParams, SolveResult
from .portfolio import solve_night
from .search import search


def solve(problem: Problem, params: SolveParams | None = None, *,
          initial: list[list[int]] | None = None) -> SolveResult:
    """Routes per vehicle (node lists) for ``problem``. Never trusted alone: time the routes
    with :func:`~nachtzorg.schedule.schedule_routes` and check the plan.

    - From ``initial`` routes: one search that improves them (the iterated local search starts
      from them; guided local search or a descent with the other metaheuristics).
    - Plain VRPTW-like problems of :data:`~.decompose.DECOMPOSE_MIN_TASKS` tasks or more, without
      shift costs and with a time limit: improvement of groups of nearby routes
      (:mod:`.decompose`).
    - Otherwise the night strategy (:mod:`.portfolio`): our joint-insertion start beside
      OR-Tools' own, route elimination when every visit is served, runs side by side with
      ``params.workers`` of 2 or more; a single search where none of that applies (which runs in
      phases on plain problems with 6 s or more).

    Deterministic with a solution limit and no time limit (same problem, seed, limit: same routes).
    """
    params = params or SolveParams()
    if initial is not None:
        return search(problem, params, initial)
    if (params.time_limit_s is not None and problem.n_tasks >= DECOMPOSE_MIN_TASKS
            and not problem.fixed_cost.any() and is_plain(problem)):
        return solve_decomposed(problem, params)
    return solve_night(problem, params)
