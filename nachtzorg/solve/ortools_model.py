"""The OR-Tools routing model of a :class:`~nachtzorg.problem.Problem`.

Built once from the integer arrays: matrix transits (``RegisterTransitMatrix``, never a Python
callback in the hot loop, never a float), a time dimension whose cumul at a visit is the
**start of care**, hard and soft time windows, qualification as allowed vehicles, fixed cost per
nurse used plus a per-metre cost, disjunctions for visits that may be left out, and two-nurse
visits as two copies on different vehicles with equal start times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from ..problem import Problem


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

    # --- arc costs: one registered matrix per distinct cost per metre
    dist = p.distance.astype(np.int64)
    by_rate: dict[int, list[int]] = {}
    for v in range(m):
        by_rate.setdefault(int(p.cost_per_m[v]), []).append(v)
    for rate, vehicles in by_rate.items():
        cb = routing.RegisterTransitMatrix((dist * rate).tolist())
        for v in vehicles:
            routing.SetArcCostEvaluatorOfVehicle(cb, v)
    for v in range(m):
        if p.fixed_cost[v]:
            routing.SetFixedCostOfVehicle(int(p.fixed_cost[v]), v)

    # --- time: transit i->j = service(i) + travel(i, j); cumul = start of service
    transit = p.duration.astype(np.int64) + p.service.astype(np.int64)[:, None]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    horizon = int(max(p.shift_end.max(), max(int(w[-1, 1]) for w in p.windows) + int(p.max_late.max())))
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")

    if p.demand.any():
        dem_cb = routing.RegisterUnaryTransitVector([int(x) for x in p.demand])
        routing.AddDimensionWithVehicleCapacity(dem_cb, 0, [int(c) for c in p.capacity], True, "load")

    depot = set(int(x) for x in p.start_node) | set(int(x) for x in p.end_node)
    all_vehicles = m
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

    for v in range(m):
        time.CumulVar(routing.Start(v)).SetRange(int(p.shift_start[v]), int(p.shift_end[v]))
        time.CumulVar(routing.End(v)).SetRange(int(p.shift_start[v]), int(p.shift_end[v]))
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))

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
    for node in range(n):
        if node not in depot:
            routing.AddToAssignment(time.SlackVar(manager.NodeToIndex(node)))
    return OrToolsModel(p, manager, routing, time)
