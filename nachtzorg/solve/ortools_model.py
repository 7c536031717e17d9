"""The OR-Tools routing model of a :class:`~nachtzorg.problem.Problem`.

Built once from the integer arrays: matrix transits (``RegisterTransitMatrix``, never a Python
callback in the hot loop, never a float), a time dimension whose cumul at a visit is the
**start of care**, hard and soft time windows, qualification (levels, skills, excluded nurses)
as allowed vehicles, fixed cost per nurse used plus a per-metre cost (plus, where clients
prefer nurses, a cost on arcs into their visits for the others), disjunctions for visits that
may be left out, two-nurse visits as two copies on different vehicles with equal start times,
dependent visits as gaps between start times (and same/different vehicles), breaks as OR-Tools'
break intervals of a used vehicle, and overtime as a soft upper bound on the end of a shift.
The cost of the largest lateness is a dimension on problems of up to
:data:`MAX_LATENESS_DIMENSION_MAX_TASKS` visits; on larger ones OR-Tools does not see it (our own
costing of its plans, and our insertion, do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from ..problem import DIFFERENT, NO_MAX_GAP, SAME, Problem

#: Problems up to this many visits (tasks) model the cost of the largest lateness (a global span
#: over all routes, for which OR-Tools' filters solve a linear program on every move); larger ones
#: leave it to our own costing, so that the search makes more moves. Measured on the home-care
#: benchmark at 10 s (one run, mean gap to the best known, with / without the dimension): 10
#: patients (about 13 visits) 0.01 / 1.22 %, 25 (33) 1.41 / 2.79 %, 50 (65) 5.75 / 4.05 %, 75
#: (100) 16.97 / 10.04 %, 100 (130) 23.34 / 12.88 %.
MAX_LATENESS_DIMENSION_MAX_TASKS = 50


@dataclass
class OrToolsModel:
    """An OR-Tools routing model plus what is needed to read a solution back."""

    problem: Problem
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    #: Python arc evaluator of the first solution, kept referenced while OR-Tools may call it.
    first_solution_evaluator: object = None

    def index(self, node: int) -> int:
        return self.manager.NodeToIndex(int(node))

    def routes_of(self, assignment: pywrapcp.Assignment) -> list[list[int]]:
        """Visited nodes per vehicle (start and end nodes left out)."""
        routes = []
        for v in range(self.problem.n_vehicles):
            idx = self.routing.Start(v)
            route = []
            idx = assignment.Value(self.routing.NextVar(idx))
            while not self.routing.IsEnd(idx):
                route.append(self.manager.IndexToNode(idx))
                idx = assignment.Value(self.routing.NextVar(idx))
            routes.append(route)
        return routes

    def assignment_from_routes(self, routes: list[list[int]]) -> pywrapcp.Assignment | None:
        """An assignment for given routes (node lists), or ``None`` if OR-Tools rejects them."""
        idx_routes = [[self.index(n) for n in r] for r in routes]
        return self.routing.ReadAssignmentFromRoutes(idx_routes, True)


def build_model(problem: Problem) -> OrToolsModel:
    """Build the routing model; see module docstring for what it holds."""
    p = problem
    n, m = p.n_nodes, p.n_vehicles
    manager = pywrapcp.RoutingIndexManager(n, m, [int(x) for x in p.start_node], [int(x) for x in p.end_node])
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # --- arc costs: one registered matrix per distinct cost per metre (and preference column)
    dist = p.distance.astype(np.int64)
    pref = p.node_vehicle_cost
    by_kind: dict[tuple[int, bytes], list[int]] = {}
    for v in range(m):
        by_kind.setdefault((int(p.cost_per_m[v]), b"" if pref is None else pref[:, v].tobytes()), []).append(v)
    for (rate, _), vehicles in by_kind.items():
        arcs = dist * rate
        if pref is not None:
            arcs = arcs + pref[:, vehicles[0]][None, :]  # the cost of serving node j falls on arcs into j
        cb = routing.RegisterTransitMatrix(arcs.tolist())
        for v in vehicles:
            routing.SetArcCostEvaluatorOfVehicle(cb, v)
    for v in range(m):
        if p.fixed_cost[v]:
            routing.SetFixedCostOfVehicle(int(p.fixed_cost[v]), v)

    # --- time: transit i->j = service(i) + travel(i, j); cumul = start of service
    transit = p.duration.astype(np.int64) + p.service.astype(np.int64)[:, None]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    horizon = int(max(p.horizon, max(int(w[-1, 1]) for w in p.windows) + int(p.max_late.max())))
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")

    if p.demand.any():
        dem_cb = routing.RegisterUnaryTransitVector([int(x) for x in p.demand])
        routing.AddDimensionWithVehicleCapacity(dem_cb, 0, [int(c) for c in p.capacity], True, "load")

    depot = set(int(x) for x in p.start_node) | set(int(x) for x in p.end_node)
    all_vehicles = m
    if not p.allowed[p.node_task >= 0].all():
        _add_qualification_dimension(p, routing)
    for node in range(n):
        if node in depot:
            continue
        idx = manager.NodeToIndex(node)
        w = p.windows[node]
        last_end = int(w[-1, 1])
        cumul = time.CumulVar(idx)
        cumul.SetRange(int(w[0, 0]), last_end + int(p.max_late[node]))
        for k in range(len(w) - 1):
            cumul.RemoveInterval(int(w[k, 1]) + 1, int(w[k + 1, 0]) - 1)
        if p.max_late[node] > 0 and p.late_cost[node] > 0:
            time.SetCumulVarSoftUpperBound(idx, last_end, int(p.late_cost[node]))
        allowed = p.allowed_vehicles(node)
        if len(allowed) < all_vehicles:
            # SetAllowedVehiclesForIndex's SWIG wrapper rejects Python lists in 9.15.
            routing.VehicleVar(idx).SetValues([-1] + [int(v) for v in allowed])

    latest = p.latest_back
    for v in range(m):
        time.CumulVar(routing.Start(v)).SetRange(int(p.shift_start[v]), int(latest[v]))
        time.CumulVar(routing.End(v)).SetRange(int(p.shift_start[v]), int(latest[v]))
        if p.overtime_cost is not None and latest[v] > p.shift_end[v] and p.overtime_cost[v] > 0:
            time.SetCumulVarSoftUpperBound(routing.End(v), int(p.shift_end[v]), int(p.overtime_cost[v]))
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))
    if p.breaks:
        _add_breaks(p, routing, manager, time)
    if p.max_late_cost and p.n_tasks <= MAX_LATENESS_DIMENSION_MAX_TASKS:
        _add_max_lateness(p, routing, manager, time, horizon)

    # --- who may be left out, and two-nurse synchronisation
    for t, nodes in enumerate(p.task_nodes):
        idxs = [manager.NodeToIndex(x) for x in nodes]
        share = int(p.task_penalty[t]) // len(idxs)
        for i in idxs:
            routing.AddDisjunction([i], max(share, 1))
        if len(idxs) == 2:
            a, b = idxs
            solver.Add(routing.ActiveVar(a) == routing.ActiveVar(b))
            solver.Add(time.CumulVar(a) == time.CumulVar(b))
            solver.Add(solver.IsDifferentVar(routing.VehicleVar(a), routing.VehicleVar(b)) >= routing.ActiveVar(a))
    for a_node, b_node, lo, hi, rule in p.dependencies:
        a, b = manager.NodeToIndex(int(a_node)), manager.NodeToIndex(int(b_node))
        # The gap binds when both are served (a big-M term switches it off otherwise).
        both = solver.Min(routing.ActiveVar(a), routing.ActiveVar(b))
        slack = (1 - both) * (2 * horizon + 1)
        solver.Add(time.CumulVar(b) - time.CumulVar(a) + slack >= int(lo))
        if hi < NO_MAX_GAP:
            solver.Add(time.CumulVar(b) - time.CumulVar(a) - slack <= int(hi))
        # the same gap as node precedences (binding when both are performed), which OR-Tools'
        # local-search filters see, so moves that break it are rejected early
        time.AddNodePrecedence(a, b, int(lo))
        if hi < NO_MAX_GAP:
            time.AddNodePrecedence(b, a, -int(hi))
        if rule == DIFFERENT:
            solver.Add(solver.IsDifferentVar(routing.VehicleVar(a), routing.VehicleVar(b)) >= both)
        elif rule == SAME:
            solver.Add(solver.IsEqualVar(routing.VehicleVar(a), routing.VehicleVar(b)) >= both)
    for node in range(n):
        if node not in depot:
            routing.AddToAssignment(time.SlackVar(manager.NodeToIndex(node)))
    return OrToolsModel(p, manager, routing, time)


def _add_breaks(p: Problem, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager,
                time: pywrapcp.RoutingDimension) -> None:
    """Each vehicle's breaks as fixed-duration intervals, performed exactly when the vehicle
    is used, between her departure and her return, which no care may overlap (travel and waiting
    may: :mod:`nachtzorg.schedule` times a break at the next door or before driving, the same
    whenever a break's window is longer than a drive)."""
    solver = routing.solver()
    # the visit part of a transit from index i is its node's care: OR-Tools reads this vector by
    # routing index, which differs from the node number once the nodes are permuted
    visit_part = [int(p.service[manager.IndexToNode(i)]) for i in range(manager.GetNumberOfIndices())]
    for v, breaks in enumerate(p.breaks):
        if not breaks:
            continue
        intervals = []
        start, end = time.CumulVar(routing.Start(v)), time.CumulVar(routing.End(v))
        for k, (d, lo, hi) in enumerate(breaks):
            iv = solver.FixedDurationIntervalVar(int(lo), int(hi), int(d), True, f"break {v}.{k}")
            solver.Add(iv.PerformedExpr() == routing.ActiveVehicleVar(v))
            # within her working time: OR-Tools would also let a break fall before she leaves or
            # after she is back, which our timing (and the nurse's shift) does not
            solver.Add(iv.SafeStartExpr(int(hi)) >= start)
            solver.Add(iv.SafeEndExpr(0) <= end)
            intervals.append(iv)
        time.SetBreakIntervalsOfVehicle(intervals, v, visit_part)


def _add_qualification_dimension(p: Problem, routing: pywrapcp.RoutingModel) -> None:
    """Who may serve a node again as a capacity-0 dimension: leaving a node a vehicle may not
    serve costs it 1. The vehicle variables' domains already forbid it; OR-Tools' local-search
    filters see dimensions, not those domains, so such moves are rejected before the slower
    constraint check."""
    by_column: dict[bytes, int] = {}
    callbacks = []
    for v in range(p.n_vehicles):
        col = p.allowed[:, v]
        key = col.tobytes()
        if key not in by_column:
            by_column[key] = routing.RegisterUnaryTransitVector([0 if ok else 1 for ok in col.tolist()])
        callbacks.append(by_column[key])
    routing.AddDimensionWithVehicleTransits(callbacks, 0, 0, True, "qualified")


def _add_max_lateness(p: Problem, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager,
                      time: pywrapcp.RoutingDimension, horizon: int) -> None:
    """The cost of the largest lateness: a dimension with zero transits whose cumul at every
    visit is at least that visit's lateness and never falls along a route, so a route's end holds
    its largest lateness, and whose global span cost charges the largest over all routes."""
    zero = routing.RegisterUnaryTransitVector([0] * p.n_nodes)
    routing.AddDimension(zero, horizon, horizon, True, "late")
    late = routing.GetDimensionOrDie("late")
    solver = routing.solver()
    due = p.lists.due
    for node in range(p.n_nodes):
        if p.node_task[node] >= 0:
            idx = manager.NodeToIndex(node)
            solver.Add(late.CumulVar(idx) >= time.CumulVar(idx) - int(due[node]))
    late.SetGlobalSpanCostCoefficient(int(p.max_late_cost))
