"""Search parameters and the solve call: Problem in, routes (node lists) out.

The default search is what measured best on the VRPTW benchmark (``benchmarks/README.md``):

1. ``first_solution="auto"``: on plain problems (VRPTW-like, see :func:`.construct.is_plain`)
   OR-Tools' savings, or its parallel savings where a quick construction gives long routes
   (:func:`long_routes`: Solomon R2/RC2/C2; all 56 instances at 1 s, four seeds: 3.72 %
   against 4.30 % with savings everywhere; level at 10 s); else parallel cheapest insertion
   (``fallback_first_solution``; night problems with two-nurse visits, several windows,
   lateness or qualifications).
   ``"regret_insertion"`` starts from our own numpy regret insertion instead, which OR-Tools
   rebuilds through an evaluator first-solution strategy (its iterated local search accepts
   no start assignment); it measured no better than savings, so it is not the default;
2. OR-Tools' iterated local search: SISR ruin-and-recreate, greedy descent, simulated
   annealing acceptance from 1000 to 1 cost units, the two path-LNS operators off,
   relocate-expensive-chain on the 2 most expensive arcs instead of 4 (see ``ORTOOLS.md`` and
   ``benchmarks/README.md``). The ruin follows the length of the routes (:func:`ruin_size`): strings of
   up to 10 visits, 10 removed on average, on short routes; 30 and 30 where the routes hold 15
   visits or more (long, loose routes: Solomon R2/RC2, nights), measured in
   ``benchmarks/README.md``; nights of up to 120 visits use 40 (``portfolio.NIGHT_RUIN_LONG``).
   The whole ``time_limit_s`` covers model building and construction.
3. On plain problems with 6 s or more, that search runs in phases of about 3 s
   (:func:`ils_phases`), each warm-started from the best plan so far, the annealing cooling on
   across them (all 56 Solomon instances at 10 s: 1.27 % against 1.41 % over four seeds with
   two solves at a time, 1.31 % against 1.40 % over two seeds with one at a time). The phases
   after the first leave relocate-expensive-chain and exchange out of their descents
   (``SolveParams.lean_descent``): from a good plan these two scanned about half the neighbours
   and found few moves (RC105: 816 k of 1.75 M neighbours in 3 s, 37 moves of 307), and without
   them the 56 instances at 10 s gave 1.05 % against 1.13 % over six seeds (better on five;
   per solve level, 106 better against 102 worse: the gain is in fewer bad runs).

``solution_limit`` makes a run deterministic; a wall-clock limit does not. ``seed`` permutes
the node numbering (OR-Tools breaks ties by index), so a seed gives a different but
reproducible search.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from google.protobuf import text_format
from google.protobuf.duration_pb2 import Duration
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_parameters_pb2

from ..exceptions import InputError, SolverError
from ..problem import Problem, permute_nodes
from .construct import is_plain, regret_insertion
from .insertion import insertion_routes
from .ortools_model import OrToolsModel, build_model

log = logging.getLogger(__name__)

FirstSolution = Literal["auto", "regret_insertion", "parallel_cheapest_insertion", "local_cheapest_insertion",
                        "savings", "parallel_savings", "path_cheapest_arc", "automatic"]
Metaheuristic = Literal["ils", "gls", "greedy"]

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
    "savings": _FS.SAVINGS,
    "parallel_savings": _FS.PARALLEL_SAVINGS,
    "path_cheapest_arc": _FS.PATH_CHEAPEST_ARC,
    "automatic": _FS.AUTOMATIC,
}
#: Evaluator value of an arc that is not in the start routes (any large positive integer).
_OFF_ROUTE = 1_000_000


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    ``time_limit_s``: wall-clock budget, seconds (not deterministic). ``solution_limit``:
    stop after this many improving solutions (deterministic). With both, the first reached
    stops the search. ``first_solution``: construction; ``regret_insertion`` applies to plain
    VRPTW-like problems and otherwise uses ``fallback_first_solution``. ``ils_removed_visits``:
    average number of visits a SISR ruin removes, and its longest removed string; ``None``
    picks it from the routes' length (:func:`ruin_size`). ``ils_temperature``: simulated annealing
    (initial, final) temperature in cost units for accepting a worse reference solution.
    ``ils_phases``: run the iterated local search in this many phases, each from the best plan
    so far, the annealing going on where the last phase stopped; ``None`` picks it
    (:func:`ils_phases`: one per :data:`ILS_PHASE_S` seconds on plain problems solved from
    scratch, else one).
    ``lean_descent``: leave OR-Tools' relocate-expensive-chain and exchange operators out of the
    iterated local search's descents, so each iteration scans fewer neighbours; the later phases
    of :func:`_solve_in_phases` set it (from a good plan these operators rarely find a move).
    Night runs keep both: without them the over-full nights served a visit fewer
    (``benchmarks/README.md``, thirteenth round).
    ``workers``: processes for the runs of a night solve (:func:`.portfolio.solve_night`): with 2
    or more and a time limit its runs go side by side, each with the whole budget, instead of one
    after the other; :func:`solve_problem` itself is always one thread.
    ``ortools_overrides``: OR-Tools ``RoutingSearchParameters`` in protobuf text format, merged
    over nachtzorg's own settings, for trying a setting without changing code (``benchmarks/
    screen.py``); e.g. ``"local_search_operators { use_exchange: BOOL_FALSE }"``. Repeated fields
    are appended to (a ruin strategy given here runs beside the SISR ruin); the time limit and,
    for warm starts and fallbacks, the first-solution strategy are set by the solve afterwards.
    """

    time_limit_s: float | None = 5.0
    solution_limit: int | None = None
    seed: int = 0
    first_solution: FirstSolution = "auto"
    metaheuristic: Metaheuristic = "ils"
    gls_lambda: float = 0.3
    log_search: bool = False
    fallback_first_solution: FirstSolution = "parallel_cheapest_insertion"
    ils_removed_visits: int | None = None
    ils_temperature: tuple[float, float] = (1000.0, 1.0)
    ils_phases: int | None = None
    lean_descent: bool = False
    workers: int = 1
    ortools_overrides: str | None = None

    def __post_init__(self) -> None:
        if self.time_limit_s is None and self.solution_limit is None:
            raise InputError("set time_limit_s or solution_limit (or both): the search needs a stop")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise InputError(f"solution_limit must be >= 1, got {self.solution_limit}")
        for name in ("first_solution", "fallback_first_solution"):
            if getattr(self, name) not in _FIRST:
                raise InputError(f"unknown {name} {getattr(self, name)!r}; choose from {sorted(_FIRST)}")
        if self.fallback_first_solution in ("auto", "regret_insertion"):
            raise InputError(f"fallback_first_solution cannot be {self.fallback_first_solution!r}")
        if self.metaheuristic not in ("ils", "gls", "greedy"):
            raise InputError(f"unknown metaheuristic {self.metaheuristic!r}; choose ils, gls or greedy")
        if self.ils_removed_visits is not None and self.ils_removed_visits < 1:
            raise InputError(f"ils_removed_visits must be >= 1, got {self.ils_removed_visits}")
        if self.ils_phases is not None and self.ils_phases < 1:
            raise InputError(f"ils_phases must be >= 1, got {self.ils_phases}")
        if self.workers < 1:
            raise InputError(f"workers must be >= 1, got {self.workers}")
        t0, t1 = self.ils_temperature
        if not (t0 > 0 and t1 > 0):
            raise InputError(f"ils_temperature must be two positive numbers, got {self.ils_temperature}")
        if self.ortools_overrides is not None:
            try:
                text_format.Merge(self.ortools_overrides, routing_parameters_pb2.RoutingSearchParameters())
            except text_format.ParseError as e:
                raise InputError(f"ortools_overrides {self.ortools_overrides!r} is not valid RoutingSearchParameters "
                                 f"text format: {e}") from None


@dataclass
class SolveResult:
    """Routes per vehicle (visited node indices) and how the search went."""

    routes: list[list[int]]
    objective: int  # OR-Tools objective, cost units
    status: str
    wall_s: float
    build_s: float
    stats: dict[str, float] = field(default_factory=dict)


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

    A ruin of 10 visits on routes of 30 or more is undone by the next descent: OR-Tools' search
    then returns to the same local optimum, iteration after iteration (RC208: 22 % above the best
    known after 1 s with 10, 10 % with 30; ``benchmarks/README.md``).
    """
    return long if long_routes(routes) else RUIN_SHORT


def search_parameters(params: SolveParams) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters for ``params`` (``regret_insertion`` maps to the evaluator
    strategy; :func:`solve_problem` swaps in the fallback when no evaluator is set; an automatic
    ruin size, ``ils_removed_visits=None``, means :data:`RUIN_SHORT` here)."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = _FIRST[params.first_solution]
    if params.time_limit_s is not None:
        d = Duration()
        d.FromMilliseconds(max(1, int(params.time_limit_s * 1000)))
        sp.time_limit.CopyFrom(d)
    if params.solution_limit is not None:
        sp.solution_limit = int(params.solution_limit)
    sp.log_search = params.log_search
    mh = routing_enums_pb2.LocalSearchMetaheuristic
    if params.metaheuristic == "gls":
        sp.local_search_metaheuristic = mh.GUIDED_LOCAL_SEARCH
        sp.guided_local_search_lambda_coefficient = params.gls_lambda
    else:
        sp.local_search_metaheuristic = mh.GREEDY_DESCENT
    if params.metaheuristic == "ils":
        sp.use_iterated_local_search = True
        sp.local_search_operators.use_global_cheapest_insertion_path_lns = pywrapcp.BOOL_FALSE
        sp.local_search_operators.use_local_cheapest_insertion_path_lns = pywrapcp.BOOL_FALSE
        # Relocate-expensive-chain made half of all neighbours scanned on short-route instances
        # (245 k of 451 k in 1 s on RC105, for 15 accepted moves) when it tries the 4 most
        # expensive arcs of a route; with 2 each descent is faster. Off entirely, clustered
        # instances lose the chain moves that place whole clusters (C103, C207: +5-8 %).
        sp.relocate_expensive_chain_num_arcs_to_consider = 2
        ils = sp.iterated_local_search_parameters
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        size = RUIN_SHORT if params.ils_removed_visits is None else int(params.ils_removed_visits)
        sisr.max_removed_sequence_size = size
        sisr.avg_num_removed_visits = size
        sisr.bypass_factor = 0.01
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.initial_temperature, sa.final_temperature = (float(x) for x in params.ils_temperature)
        if params.lean_descent:
            sp.local_search_operators.use_relocate_expensive_chain = pywrapcp.BOOL_FALSE
            sp.local_search_operators.use_exchange = pywrapcp.BOOL_FALSE
    if params.ortools_overrides is not None:
        text_format.Merge(params.ortools_overrides, sp)
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


def _run(model: OrToolsModel, sp, initial: list[list[int]] | None, ils: bool):
    """Solve from scratch, or improve given routes (then plain local search: OR-Tools' ILS
    entry point takes no start assignment)."""
    routing = model.routing
    if initial is not None:
        start = model.assignment_from_routes(initial)
        if start is not None:
            if ils:
                sp.use_iterated_local_search = False
                sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            return routing.SolveFromAssignmentWithParameters(start, sp)
        log.debug("initial routes rejected by OR-Tools; solving from scratch")
    if ils:
        return routing.SolveWithIteratedLocalSearch(sp)
    return routing.SolveWithParameters(sp)


#: Problems up to this many visits get a quick construction to size the ruin (:func:`ruin_size`);
#: larger ones (seconds of construction) keep the short-route ruin.
RUIN_ESTIMATE_MAX_TASKS = 400


def _likely_routes(problem: Problem) -> list[list[int]] | None:
    """Routes of a quick construction, only to see how long routes get (30 ms at 100 visits)."""
    if problem.n_tasks > RUIN_ESTIMATE_MAX_TASKS:
        return None
    return regret_insertion(problem) if is_plain(problem) else insertion_routes(problem)


#: Search branches after which a run without a time limit stops (deterministic safety stop).
DETERMINISTIC_BRANCH_LIMIT = 200_000

#: Seconds per phase of the iterated local search on plain problems (:func:`ils_phases`).
ILS_PHASE_S = 3.0
#: A later phase shorter than this (seconds) is not started: its warm start alone (the evaluator
#: rebuild and a descent proving the plan a local optimum) takes about 0.1 s at 100 clients.
MIN_PHASE_S = 0.2


def ils_phases(problem: Problem, params: SolveParams, initial_routes: list[list[int]] | None = None) -> int:
    """How many phases the iterated local search of :func:`solve_problem` runs in.

    ``params.ils_phases`` if set; else one per :data:`ILS_PHASE_S` seconds of the time limit on
    plain problems (:func:`.construct.is_plain`; 10 s: 3 phases, under 6 s: one). Always one for
    runs from given routes, without a time limit, or with another metaheuristic.
    """
    if params.metaheuristic != "ils" or params.time_limit_s is None or initial_routes is not None:
        return 1
    if params.ils_phases is not None:
        return params.ils_phases
    return max(1, int(params.time_limit_s // ILS_PHASE_S)) if is_plain(problem) else 1


def _solve_in_phases(problem: Problem, params: SolveParams, phases: int) -> SolveResult:
    """:func:`solve_problem` in ``phases`` phases sharing ``params.time_limit_s``: the first from
    scratch, each next one warm-started from the best plan so far (``warm_ils``). The annealing's
    temperatures are split geometrically over the phases, so each phase cools on from where the
    last one stopped; what a phase adds is the return to the best plan. The later phases run
    with ``lean_descent`` (measured: module docstring and ``benchmarks/README.md``).
    """
    assert params.time_limit_s is not None
    t0 = _time.perf_counter()
    hot, cold = params.ils_temperature
    temps = [hot * (cold / hot) ** (i / phases) for i in range(phases + 1)]
    best: SolveResult | None = None
    stats: dict[str, float] = {}
    build_s = search_s = 0.0
    done = 0
    for i in range(phases):
        left = params.time_limit_s - (_time.perf_counter() - t0)
        if best is not None and left < MIN_PHASE_S:
            break
        phase = replace(params, time_limit_s=max(left, MIN_PHASE_S) / (phases - i),
                        ils_temperature=(temps[i], temps[i + 1]), ils_phases=1,
                        lean_descent=params.lean_descent or best is not None)
        if best is None:
            res = solve_problem(problem, phase)
            stats.update(res.stats)
        else:
            try:
                res = solve_problem(problem, phase, best.routes, warm_ils=True)
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


def solve_problem(problem: Problem, params: SolveParams = SolveParams(),
                  initial_routes: list[list[int]] | None = None, *, warm_ils: bool = False) -> SolveResult:
    """Solve with OR-Tools; returns routes per vehicle. Never trusted alone: check the plan.

    ``initial_routes``: start from these routes. By default OR-Tools improves them with guided
    local search (its ILS entry point takes no start assignment); with ``warm_ils`` (and
    ``metaheuristic="ils"``) they are handed over through the evaluator first-solution
    strategy and improved by the iterated local search instead (measured better on nights and
    on groups of large VRPTW instances; ``benchmarks/README.md``). Without a time limit (ILS would
    not stop) the guided local search path is kept. From scratch on plain problems with a time
    limit of 6 s or more, the search runs in phases (:func:`ils_phases`, :func:`_solve_in_phases`).
    """
    phases = ils_phases(problem, params, initial_routes)
    if phases > 1:
        return _solve_in_phases(problem, params, phases)
    t0 = _time.perf_counter()
    order = None
    if params.seed:
        order = np.random.default_rng(params.seed).permutation(problem.n_nodes)
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        problem = permute_nodes(problem, order)
        if initial_routes is not None:
            initial_routes = [[int(inv[n]) for n in r] for r in initial_routes]
    model = build_model(problem)
    stats: dict[str, float] = {}
    warm = warm_ils and initial_routes is not None and params.metaheuristic == "ils"
    regret_start = None
    if params.first_solution == "regret_insertion" and initial_routes is None:
        tc = _time.perf_counter()
        regret_start = regret_insertion(problem)
        stats["construct_s"] = _time.perf_counter() - tc
    auto_ruin = params.metaheuristic == "ils" and params.ils_removed_visits is None and (warm or initial_routes is None)
    # Plain problems whose routes come out long start from parallel savings (module docstring).
    auto_start = (params.first_solution == "auto" and params.metaheuristic == "ils" and initial_routes is None
                  and is_plain(problem))
    likely = None
    if auto_ruin or auto_start:
        likely = initial_routes if warm else regret_start or _likely_routes(problem)
    if auto_ruin:
        size = ruin_size(likely)
        params = replace(params, ils_removed_visits=size)
        stats["ruin_size"] = size
    if auto_start:
        parallel = long_routes(likely)
        stats["parallel_savings_start"] = float(parallel)
        if parallel:
            params = replace(params, first_solution="parallel_savings")
    sp = search_parameters(params)
    if warm:
        _hand_over(model, initial_routes)
        sp.first_solution_strategy = _FS.EVALUATOR_STRATEGY
        initial_routes = None
    elif params.first_solution == "regret_insertion" and initial_routes is None:
        if regret_start is not None:
            _hand_over(model, regret_start)
        else:
            sp.first_solution_strategy = _FIRST[params.fallback_first_solution]
    elif params.first_solution == "regret_insertion" or (
            params.first_solution == "auto" and (initial_routes is not None or not is_plain(problem))):
        sp.first_solution_strategy = _FIRST[params.fallback_first_solution]
    if params.time_limit_s is not None:  # the budget covers model building and construction
        left = params.time_limit_s - (_time.perf_counter() - t0)
        d = Duration()
        d.FromMilliseconds(max(10, int(left * 1000)))
        sp.time_limit.CopyFrom(d)
    if params.time_limit_s is None:
        # Neither ILS nor GLS reliably stops at a solution limit on small problems (measured,
        # 9.15): a branch count is a deterministic safety stop.
        model.branch_limit = model.routing.solver().BranchesLimit(DETERMINISTIC_BRANCH_LIMIT)
        model.routing.AddSearchMonitor(model.branch_limit)
    t1 = _time.perf_counter()
    solution = _run(model, sp, initial_routes, params.metaheuristic == "ils")
    t2 = _time.perf_counter()
    status = model.routing.status()
    names = {0: "not_solved", 1: "success", 2: "no_solution_found", 3: "timeout", 4: "invalid",
             5: "infeasible", 6: "optimal"}
    if solution is None:
        raise SolverError(
            f"OR-Tools found no solution (status {names.get(status, status)}); "
            "every visit may be left unassigned, so this points to a model error"
        )
    routes = model.routes_of(solution)
    if order is not None:
        routes = [[int(order[n]) for n in r] for r in routes]
    stats["search_s"] = t2 - t1
    return SolveResult(routes, int(solution.ObjectiveValue()), names.get(status, str(status)),
                       t2 - t0, t1 - t0, stats)
