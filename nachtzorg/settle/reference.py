"""The reference routing of acute readiness: a coalition's planned visits routed the same way on
every run, whatever the solver seed.

Readiness is simulated against routes (a nurse on her round answers a call from where she is),
and the searched routes of a coalition differ from seed to seed: on a borderline night one
seed's routes reach 0.9 of the calls and the other's do not, a nurse more or less for the whole
year's weight of that night. So readiness is judged against this reference instead
(:func:`reference_routes`): our joint insertion (:func:`~nachtzorg.solve.insertion_routes`),
the nurses it can do without taken off (every route tried, :func:`~nachtzorg.solve.spare_nurses`),
and, where visits are left over, a solution-limited guided local search from there with a fixed
seed (deterministic: :data:`REFERENCE_SOLUTIONS` improving solutions, no time limit), keeping
the better plan (fewer visits left over, then cheaper). The planned visits' cost is still the
searched plan's (:func:`~nachtzorg.sharing.coalition_costs`, driven by the solver seed).
"""

from __future__ import annotations

import logging

from ..exceptions import SolverError
from ..problem import Problem
from ..schedule import schedule_routes, service_cost
from ..solve import SolveParams, insertion_routes, repair, solve, spare_nurses
from ..solve.fleet import left_over

log = logging.getLogger(__name__)

#: Improving solutions of the reference's guided local search where our insertion leaves visits
#: over (no time limit: the same routes on any machine).
REFERENCE_SOLUTIONS = 30
#: The reference's search seed: fixed, so that the reference does not follow the solver seed.
REFERENCE_SEED = 0


def _key(p: Problem, routes: list[list[int]]) -> tuple[int, int]:
    """(visits left over, cost units); routes that cannot be timed sort last."""
    sched = schedule_routes(p, routes)
    if not sched.feasible:
        return (1 << 30, 0)
    return left_over(p, routes), service_cost(p, routes, sched)


def reference_routes(problem: Problem) -> list[list[int]]:
    """Routes per vehicle (node lists) for ``problem``, the same for the same problem on every
    run (module docstring)."""
    if problem.n_tasks == 0:
        return [[] for _ in range(problem.n_vehicles)]
    routes = spare_nurses(problem, insertion_routes(problem), tries=problem.n_vehicles)
    if left_over(problem, routes) == 0:
        return routes
    params = SolveParams(time_limit_s=None, solution_limit=REFERENCE_SOLUTIONS, seed=REFERENCE_SEED)
    try:
        res = solve(problem, params.replace(metaheuristic="gls"), initial=routes)
        searched = spare_nurses(problem, repair(problem, res.routes), tries=problem.n_vehicles)
    except SolverError as e:
        log.debug("reference search found nothing, our insertion is the reference: %s", e)
        return routes
    return min((routes, searched), key=lambda r: _key(problem, r))
