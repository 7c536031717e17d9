"""One OR-Tools search: Problem and parameters in, routes (node lists per vehicle) out.

What the search does by default (:class:`~.params.Tuning`):

1. ``first_solution="auto"``: on plain problems (VRPTW-like, see :func:`.construct.is_plain`)
   OR-Tools' savings, or its parallel savings where a quick construction gives long routes
   (:func:`long_routes`); else parallel cheapest insertion (``fallback_first_solution``).
   ``"regret_insertion"`` starts from our own numpy regret insertion, which OR-Tools rebuilds
   through an evaluator first-solution strategy (its iterated local search accepts no start
   assignment).
2. OR-Tools' iterated local search: SISR ruin-and-recreate, greedy descent, simulated
   annealing acceptance from 1000 to 1 cost units, the two path-LNS operators off,
   relocate-expensive-chain on the 2 most expensive arcs (``ORTOOLS.md``). The ruin follows
   the length of the routes (:func:`ruin_size`).
3. On plain problems with 6 s or more, the search runs in phases of about
   :data:`ILS_PHASE_S` seconds, each warm-started from the best plan so far, the annealing
   cooling on across them; the later phases run with ``lean_descent``.

Given start routes are handed to the iterated local search through the evaluator
first-solution strategy (``warm start``), or improved by guided local search / a descent with
the other metaheuristics. A run without a time limit stops at a deterministic branch limit.
"""

from __future__ import annotations

import logging
import time as _time

import numpy as np
from google.protobuf import text_format
from google.protobuf.duration_pb2 import Duration
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..exceptions import SolverError
from ..problem import Problem, permute_nodes
from .construct import is_plain, regret_insertion
from .insertion import insertion_routes
from .ortools_model import OrToolsModel, build_model
from .params import SolveParams, SolveResult

log = logging.getLogger(__name__)

_FS = routing_enums_pb2.FirstSolutionStrategy
_FIRST = {
    # savings on plain VRPTW-like problems (construct.is_plain), parallel savings where their
    # routes are long (solve_problem), else the fallback
    "auto": _FS.SAVINGS,
    # our own numpy regret insertion (construct.py), handed to OR-Tools through an evaluator
    # strategy; problems it cannot handle fall back to ``SolveParams.fallback_first_solution``
    "regret_insertion": _FS.EVALUATOR_STRATEGY,
    "parallel_cheapest_insertion": _FS.PARALLEL_CHEAPEST_INSERTION,
    "local_cheapest_insertion": _FS.LOCAL_CHEAPEST_INSERTION,
    "local_cheapest_cost_insertion": _FS.LOCAL_CHEAPEST_COST_INSERTION,
    "savings": _FS.SAVINGS,
    "parallel_savings": _FS.PARALLEL_SAVINGS,
    "path_cheapest_arc": _FS.PATH_CHEAPEST_ARC,
    "automatic": _FS.AUTOMATIC,
}
#: Evaluator value of an arc that is not in the start routes (any large positive integer).
_OFF_ROUTE = 1_000_000


#: Mean visits per used route from which routes count as long (:func:`long_routes`).
LONG_ROUTE_VISITS = 15
#: SISR ruin size (average removed visits = longest removed string) on short and long routes.
RUIN_SHORT, RUIN_LONG = 10, 30


def long_routes(routes: list[list[int]] | None) -> bool:
    """Whether the used routes hold :data:`LONG_ROUTE_VISITS` visits or more on average
    (empty routes ignored; no routes: ``False``)."""
    used = [len(r) for r in routes or () if r]
    return bool(used) and sum(used) / len(used) >= LONG_ROUTE_VISITS


def ruin_size(routes: list[list[int]] | None, long: int = RUIN_LONG) -> int:
    """SISR ruin size for routes like these: ``long`` (:data:`RUIN_LONG`; nights use their own,
    :data:`~.portfolio.NIGHT_RUIN_LONG`) for :func:`long_routes`, else :data:`RUIN_SHORT`.

    A short ruin on long routes is undone by the next descent, which then returns to the same
    local optimum iteration after iteration; long routes need a ruin of their length's order.
    """
    return long if long_routes(routes) else RUIN_SHORT


def search_parameters(params: SolveParams) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters for ``params`` (``regret_insertion`` maps to the evaluator
    strategy; :func:`search` swaps in the fallback when no evaluator is set; an automatic
    ruin size, ``ils_removed_visits=None``, means :data:`RUIN_SHORT` here)."""
    tuning = params.tuning
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = _FIRST[tuning.first_solution]
    if params.time_limit_s is not None:
        d = Duration()
        d.FromMilliseconds(max(1, int(params.time_limit_s * 1000)))
        sp.time_limit.CopyFrom(d)
    if params.solution_limit is not None:
        sp.solution_limit = int(params.solution_limit)
    sp.log_search = tuning.log_search
    mh = routing_enums_pb2.LocalSearchMetaheuristic
    if tuning.metaheuristic == "gls":
        sp.local_search_metaheuristic = mh.GUIDED_LOCAL_SEARCH
        sp.guided_local_search_lambda_coefficient = tuning.gls_lambda
    else:
        sp.local_search_metaheuristic = mh.GREEDY_DESCENT
    if tuning.metaheuristic == "ils":
        sp.use_iterated_local_search = True
        sp.local_search_operators.use_global_cheapest_insertion_path_lns = pywrapcp.BOOL_FALSE
        sp.local_search_operators.use_local_cheapest_insertion_path_lns = pywrapcp.BOOL_FALSE
        # With the 4 most expensive arcs of a route, relocate-expensive-chain scans about half
        # of all neighbours on short routes for few accepted moves; off entirely, clustered
        # instances lose the chain moves that place whole clusters.
        sp.relocate_expensive_chain_num_arcs_to_consider = 2
        ils = sp.iterated_local_search_parameters
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        size = RUIN_SHORT if tuning.ils_removed_visits is None else int(tuning.ils_removed_visits)
        sisr.max_removed_sequence_size = size
        sisr.avg_num_removed_visits = size
        sisr.bypass_factor = 0.01
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.initial_temperature, sa.final_temperature = (float(x) for x in tuning.ils_temperature)
        if tuning.lean_descent:
            sp.local_search_operators.use_relocate_expensive_chain = pywrapcp.BOOL_FALSE
            sp.local_search_operators.use_exchange = pywrapcp.BOOL_FALSE
    if tuning.ortools_overrides is not None:
        text_format.Merge(tuning.ortools_overrides, sp)
    return sp


class _RouteEvaluator:
    """An arc evaluator that is 0 on the arcs of given routes and large elsewhere, so OR-Tools'
    evaluator strategy rebuilds exactly those routes as its first solution. Registered before
    the model is closed; the routes may be set later (:meth:`set_routes`)."""

    def __init__(self, model: OrToolsModel) -> None:
        # No reference to the model itself: OR-Tools holds this callable from C++, and a cycle
        # through C++ is invisible to Python's garbage collector (the model would never be freed).
        self.problem = model.problem
        size = model.routing.Size() + model.problem.n_vehicles
        self.node_of = np.array([model.manager.IndexToNode(i) for i in range(size)], dtype=np.int64)
        self.table: list[list[int]] = []

    def set_routes(self, routes: list[list[int]]) -> None:
        p = self.problem
        n = p.n_nodes
        on = np.zeros((n, n), dtype=bool)
        for v, r in enumerate(routes):
            if r:
                path = [int(p.start_node[v]), *r, int(p.end_node[v])]
                on[path[:-1], path[1:]] = True
        self.table = np.where(on[np.ix_(self.node_of, self.node_of)], 0, _OFF_ROUTE).tolist()

    def __call__(self, i: int, j: int) -> int:
        return self.table[i][j]


def _hand_over(model: OrToolsModel, routes: list[list[int]]) -> None:
    """Make ``routes`` OR-Tools' first solution (with ``EVALUATOR_STRATEGY``); before solving."""
    ev = model.first_solution_evaluator = _RouteEvaluator(model)  # keep it referenced
    model.routing.SetFirstSolutionEvaluator(ev)
    ev.set_routes(routes)


#: Problems up to this many visits get a quick construction to size the ruin (:func:`ruin_size`);
#: larger ones (seconds of construction) keep the short-route ruin.
RUIN_ESTIMATE_MAX_TASKS = 400


def _likely_routes(problem: Problem) -> list[list[int]] | None:
    """Routes of a quick construction, only to see how long routes get (30 ms at 100 visits)."""
    if problem.n_tasks > RUIN_ESTIMATE_MAX_TASKS:
        return None
    return regret_insertion(problem) if is_plain(problem) else insertion_routes(problem)


#: Problems up to this many visits (tasks) that price lateness start from OR-Tools' local
#: cheapest cost insertion (:func:`cost_insertion`); it evaluates every position of every visit
#: with the whole objective, about 2 s at 130 visits and 11 s at 300 (home-care benchmark).
COST_INSERTION_MAX_TASKS = 150


def cost_insertion(problem: Problem) -> bool:
    """Whether OR-Tools' own start should be its local cheapest *cost* insertion rather than the
    fallback construction: the problem costs the largest lateness, and has at most
    :data:`COST_INSERTION_MAX_TASKS` visits. The other insertions place visits by detour and hard
    limits alone; blind to lateness costs, and above all to the largest lateness (a span over all
    routes), they pile lateness up (figures in ``benchmarks/README.md``)."""
    return bool(problem.max_late_cost) and problem.n_tasks <= COST_INSERTION_MAX_TASKS


#: Search branches after which a run without a time limit stops (deterministic safety stop).
DETERMINISTIC_BRANCH_LIMIT = 200_000

#: Seconds per phase of the iterated local search on plain problems (:func:`ils_phases`).
ILS_PHASE_S = 3.0
#: A later phase shorter than this (seconds) is not started: its warm start alone (the evaluator
#: rebuild and a descent proving the plan a local optimum) takes about 0.1 s at 100 clients.
MIN_PHASE_S = 0.2


def ils_phases(problem: Problem, params: SolveParams, initial: list[list[int]] | None = None) -> int:
    """How many phases the iterated local search of :func:`search` runs in.

    ``tuning.ils_phases`` if set; else one per :data:`ILS_PHASE_S` seconds of the time limit on
    plain problems (:func:`.construct.is_plain`; 10 s: 3 phases, under 6 s: one). Always one for
    runs from given routes, without a time limit, or with another metaheuristic.
    """
    tuning = params.tuning
    if tuning.metaheuristic != "ils" or params.time_limit_s is None or initial is not None:
        return 1
    if tuning.ils_phases is not None:
        return tuning.ils_phases
    return max(1, int(params.time_limit_s // ILS_PHASE_S)) if is_plain(problem) else 1


def _search_in_phases(problem: Problem, params: SolveParams, phases: int) -> SolveResult:
    """:func:`search` in ``phases`` phases sharing ``params.time_limit_s``: the first from
    scratch, each next one warm-started from the best plan so far. The annealing's temperatures
    are split geometrically over the phases, so each phase cools on from where the last one
    stopped; what a phase adds is the return to the best plan. The later phases run with
    ``lean_descent``: from a good plan those two operators scan many neighbours for few moves.
    """
    assert params.time_limit_s is not None
    t0 = _time.perf_counter()
    hot, cold = params.tuning.ils_temperature
    temps = [hot * (cold / hot) ** (i / phases) for i in range(phases + 1)]
    best: SolveResult | None = None
    stats: dict[str, float] = {}
    build_s = search_s = 0.0
    done = 0
    for i in range(phases):
        left = params.time_limit_s - (_time.perf_counter() - t0)
        if best is not None and left < MIN_PHASE_S:
            break
        phase = params.replace(time_limit_s=max(left, MIN_PHASE_S) / (phases - i),
                               ils_temperature=(temps[i], temps[i + 1]), ils_phases=1,
                               lean_descent=params.tuning.lean_descent or best is not None)
        if best is None:
            res = search(problem, phase)
            stats.update(res.stats)
        else:
            try:
                res = search(problem, phase, best.routes)
            except SolverError as e:  # keep the plan in hand rather than lose it
                log.warning("ILS phase %d of %d found no solution (%s); keeping the best plan so far", i + 1, phases, e)
                break
        done += 1
        build_s += res.build_s
        search_s += res.stats.get("search_s", 0.0)
        if best is None or res.objective < best.objective:
            best = res
    assert best is not None
    stats.update({"ils_phases": float(done), "search_s": search_s})
    return SolveResult(best.routes, best.objective, best.status, _time.perf_counter() - t0, build_s, stats)


_STATUS = {0: "not_solved", 1: "success", 2: "no_solution_found", 3: "timeout", 4: "invalid", 5: "infeasible",
           6: "optimal"}


def _ms_left(time_limit_s: float, t0: float) -> int:
    """Milliseconds left of a budget started at ``t0`` (``perf_counter``), at least 10."""
    return max(10, int((time_limit_s - (_time.perf_counter() - t0)) * 1000))


def search(problem: Problem, params: SolveParams, initial: list[list[int]] | None = None) -> SolveResult:
    """One OR-Tools search (module docstring); routes per vehicle. Never trusted alone.

    ``initial``: start from these routes: handed to the iterated local search as its first
    solution (``metaheuristic="ils"``), else improved from an assignment by guided local
    search or a descent. From scratch on plain problems with a time limit of 6 s or more, the
    search runs in phases (:func:`ils_phases`).
    """
    phases = ils_phases(problem, params, initial)
    if phases > 1:
        return _search_in_phases(problem, params, phases)
    t0 = _time.perf_counter()
    tuning = params.tuning
    ils = tuning.metaheuristic == "ils"
    order = None
    if params.seed:
        order = np.random.default_rng(params.seed).permutation(problem.n_nodes)
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        problem = permute_nodes(problem, order)
        if initial is not None:
            initial = [[int(inv[n]) for n in r] for r in initial]
    model = build_model(problem)
    stats: dict[str, float] = {}
    warm = initial is not None and ils
    regret_start = None
    if tuning.first_solution == "regret_insertion" and initial is None:
        tc = _time.perf_counter()
        regret_start = regret_insertion(problem)
        stats["construct_s"] = _time.perf_counter() - tc
    auto_ruin = ils and tuning.ils_removed_visits is None
    # Plain problems whose routes come out long start from parallel savings (module docstring).
    auto_start = tuning.first_solution == "auto" and ils and initial is None and is_plain(problem)
    likely = None
    if auto_ruin or auto_start:
        likely = initial if warm else regret_start or _likely_routes(problem)
    if auto_ruin:
        size = ruin_size(likely)
        tuning = tuning.replace(ils_removed_visits=size)
        stats["ruin_size"] = size
    if auto_start:
        parallel = long_routes(likely)
        stats["parallel_savings_start"] = float(parallel)
        if parallel:
            tuning = tuning.replace(first_solution="parallel_savings")
    sp = search_parameters(params.replace(tuning=tuning))
    if warm:
        _hand_over(model, initial)
        sp.first_solution_strategy = _FS.EVALUATOR_STRATEGY
        initial = None
    elif tuning.first_solution == "regret_insertion" and initial is None:
        if regret_start is not None:
            _hand_over(model, regret_start)
        else:
            sp.first_solution_strategy = _FIRST[tuning.fallback_first_solution]
    elif tuning.first_solution == "auto" and initial is None and cost_insertion(problem):
        sp.first_solution_strategy = _FS.LOCAL_CHEAPEST_COST_INSERTION
        stats["cost_insertion_start"] = 1.0
    elif tuning.first_solution == "regret_insertion" or (
            tuning.first_solution == "auto" and (initial is not None or not is_plain(problem))):
        sp.first_solution_strategy = _FIRST[tuning.fallback_first_solution]
    if params.time_limit_s is not None:  # the budget covers model building and construction
        # sp's limit starts with the search; reading a start plan into an assignment is a search
        # of its own (a depth-first one over cumuls and breaks, which can run for minutes on
        # routes OR-Tools cannot time), so a solver limit bounds it to the same budget.
        model.routing.AddSearchMonitor(model.routing.solver().TimeLimit(_ms_left(params.time_limit_s, t0)))
    else:
        # Neither ILS nor GLS reliably stops at a solution limit on small problems (OR-Tools
        # 9.15): a branch count is a deterministic safety stop.
        model.branch_limit = model.routing.solver().BranchesLimit(DETERMINISTIC_BRANCH_LIMIT)
        model.routing.AddSearchMonitor(model.branch_limit)
    t1 = _time.perf_counter()
    routing = model.routing
    if initial is not None:
        start = model.assignment_from_routes(initial)
        if start is None:
            log.debug("initial routes rejected by OR-Tools; solving from scratch")
    if params.time_limit_s is not None:
        d = Duration()
        d.FromMilliseconds(_ms_left(params.time_limit_s, t0))
        sp.time_limit.CopyFrom(d)
    if initial is not None and start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, sp)
    elif ils:
        solution = routing.SolveWithIteratedLocalSearch(sp)
    else:
        solution = routing.SolveWithParameters(sp)
    t2 = _time.perf_counter()
    status = routing.status()
    if solution is None:
        raise SolverError(
            f"OR-Tools found no solution (status {_STATUS.get(status, status)}); "
            "every visit may be left unassigned, so this points to a model error"
        )
    routes = model.routes_of(solution)
    if order is not None:
        routes = [[int(order[n]) for n in r] for r in routes]
    stats["search_s"] = t2 - t1
    return SolveResult(routes, int(solution.ObjectiveValue()), _STATUS.get(status, str(status)),
                       t2 - t0, t1 - t0, stats)
