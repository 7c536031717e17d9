"""The compiled problem: plain integer arrays that the solver, scheduler and checker consume.

Every feature (night plan, acute re-plan, coalition cost, VRPTW benchmark) builds a
:class:`Problem` and hands it to the same solver and checker. Units: time in integer
**seconds** (for benchmark instances: the instance's time unit x 10), distance in integer
**metres** (instance unit x 10), money in integer **micro-euros** (1e-6 EUR) — OR-Tools only
sees integers.

Nodes are points a nurse passes: task copies (a two-nurse visit has two copies, one per
nurse) and vehicle start/end nodes. A *task* is what can be served or left unassigned
(a visit or a benchmark customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .exceptions import InputError, TravelError
from .model import Scenario
from .travel import TravelMatrix, TravelProvider, provider_for

#: Money unit of the compiled problem, in euros.
MICRO_EUR = 1e-6
#: Cost of leaving a mandatory visit unserved, euros per priority level. Large enough that
#: the solver drops a mandatory visit only when no plan can include it.
MANDATORY_DROP_EUR = 100_000.0


def eur_to_units(eur: float) -> int:
    return int(round(eur / MICRO_EUR))


def units_to_eur(units: int | float) -> float:
    return float(units) * MICRO_EUR


@dataclass(frozen=True)
class Problem:
    """A vehicle-routing problem with time windows, in integers.

    Node arrays have length ``n_nodes``; vehicle arrays length ``n_vehicles``; task arrays
    length ``n_tasks``. ``windows[i]`` is a ``(k, 2)`` array of allowed *start of service*
    intervals of node ``i``; the last may be exceeded by ``max_late[i]`` at ``late_cost[i]``
    units per second. Depot nodes have the whole horizon as window and service 0.
    """

    duration: np.ndarray  # (n, n) travel time, s
    distance: np.ndarray  # (n, n) travel distance, m
    service: np.ndarray  # (n,) service time, s
    windows: tuple[np.ndarray, ...]  # per node (k, 2) start-of-service intervals, s
    max_late: np.ndarray  # (n,) allowed lateness past the last window end, s
    late_cost: np.ndarray  # (n,) units per second late
    required_level: np.ndarray  # (n,) qualification a node needs (0 = anyone)
    demand: np.ndarray  # (n,) load (benchmarks; 0 for night visits)
    node_task: np.ndarray  # (n,) task index, -1 for depot nodes
    task_nodes: tuple[tuple[int, ...], ...]  # per task its node(s) (2 for two-nurse visits)
    task_penalty: np.ndarray  # (n_tasks,) units for leaving the task unassigned
    task_mandatory: np.ndarray  # (n_tasks,) bool
    start_node: np.ndarray  # (m,)
    end_node: np.ndarray  # (m,)
    shift_start: np.ndarray  # (m,) earliest departure, s
    shift_end: np.ndarray  # (m,) latest return, s
    vehicle_level: np.ndarray  # (m,) qualification level
    fixed_cost: np.ndarray  # (m,) units if the vehicle is used
    cost_per_m: np.ndarray  # (m,) units per metre driven (integers)
    capacity: np.ndarray  # (m,) load capacity (benchmarks)
    task_ids: tuple[str, ...] = ()
    vehicle_ids: tuple[str, ...] = ()

    @property
    def n_nodes(self) -> int:
        return int(self.service.shape[0])

    @property
    def n_vehicles(self) -> int:
        return int(self.start_node.shape[0])

    @property
    def n_tasks(self) -> int:
        return len(self.task_nodes)

    @property
    def horizon(self) -> int:
        """Latest time any vehicle may be back, s."""
        return int(self.shift_end.max())

    def allowed_vehicles(self, node: int) -> np.ndarray:
        """Vehicles qualified for ``node``."""
        return np.flatnonzero(self.vehicle_level >= self.required_level[node])

    @cached_property
    def lists(self) -> ProblemLists:
        """The arrays the pure-Python timing loops read, as Python lists (built once per problem;
        indexing a numpy array element by element costs several times a list lookup)."""
        return ProblemLists.of(self)

    def __getstate__(self) -> dict:
        # the cached lists are rebuilt where they are needed, not pickled to worker processes
        state = dict(self.__dict__)
        state.pop("lists", None)
        return state

    def route_cost(self, vehicle: int, route: list[int]) -> int:
        """Fixed plus distance cost of one route (units), without lateness."""
        if not route:
            return 0
        path = [int(self.start_node[vehicle]), *route, int(self.end_node[vehicle])]
        metres = int(self.distance[path[:-1], path[1:]].sum())
        return int(self.fixed_cost[vehicle]) + metres * int(self.cost_per_m[vehicle])


@dataclass(frozen=True)
class ProblemLists:
    """A :class:`Problem`'s node and vehicle arrays as Python ints (seconds, metres, cost units):
    what the timing loops of :mod:`nachtzorg.schedule` and our insertion read. ``windows[i]``
    holds ``(lo, hi)`` start intervals, the last one's ``hi`` extended by ``max_late[i]``."""

    duration: list[list[int]]
    distance: list[list[int]]
    service: list[int]
    windows: list[tuple[tuple[int, int], ...]]
    hard_windows: list[tuple[tuple[int, int], ...]]  # the same without the lateness
    start_node: list[int]
    end_node: list[int]
    shift_start: list[int]
    shift_end: list[int]
    due: list[int]  # end of the last window; lateness counts from here
    late_cost: list[int]  # units per second late
    partner: dict[int, int]  # node -> the other copy of its two-nurse visit

    @classmethod
    def of(cls, p: Problem) -> ProblemLists:
        windows, hard = [], []
        for w, late in zip(p.windows, p.max_late.tolist()):
            iv = [(int(a), int(b)) for a, b in w.tolist()]
            hard.append(tuple(iv))
            iv[-1] = (iv[-1][0], iv[-1][1] + int(late))
            windows.append(tuple(iv))
        partner = {}
        for nodes in p.task_nodes:
            if len(nodes) == 2:
                partner[int(nodes[0])], partner[int(nodes[1])] = int(nodes[1]), int(nodes[0])
        return cls(p.duration.tolist(), p.distance.tolist(), p.service.tolist(), windows, hard,
                   p.start_node.tolist(), p.end_node.tolist(), p.shift_start.tolist(), p.shift_end.tolist(),
                   [w[-1][1] for w in hard], p.late_cost.tolist(), partner)


@dataclass(frozen=True)
class CompiledNight:
    """A scenario's problem plus the maps back to the scenario's ids."""

    problem: Problem
    matrix: TravelMatrix  # over unique points, see point_of_node
    point_of_node: np.ndarray
    visit_of_task: tuple[str, ...]
    shift_of_vehicle: tuple[str, ...]


def compile_scenario(scenario: Scenario, travel: TravelProvider | None = None) -> CompiledNight:
    """Compile a scenario into integer arrays (seconds, metres, micro-euros)."""
    travel = travel or provider_for(scenario.travel)
    clock = scenario.clock
    clients = {c.id: c for c in scenario.clients}

    # Unique points: clients first, then shift start/end places.
    points = [c.location for c in scenario.clients]
    point_label = [f"client {c.id!r}" for c in scenario.clients]
    point_of_client = {c.id: i for i, c in enumerate(scenario.clients)}

    service, windows, max_late, late_cost, level, node_task, node_point = [], [], [], [], [], [], []
    task_nodes, penalty, mandatory = [], [], []
    for t, v in enumerate(scenario.visits):
        w = np.array([[clock.to_seconds(x.start), clock.to_seconds(x.end)] for x in v.windows],
                     dtype=np.int64)
        rate = v.lateness_cost_per_min_eur
        rate = scenario.lateness_cost_per_min_eur if rate is None else rate
        nodes = []
        for _ in range(v.nurses):
            nodes.append(len(service))
            service.append(int(round(v.duration_min * 60)))
            windows.append(w)
            max_late.append(int(round(v.max_lateness_min * 60)))
            late_cost.append(eur_to_units(rate / 60.0))
            level.append(v.qualification)
            node_task.append(t)
            node_point.append(point_of_client[v.client])
        task_nodes.append(tuple(nodes))
        mandatory.append(not v.optional)
        penalty.append(eur_to_units(v.penalty_eur if v.optional else MANDATORY_DROP_EUR * v.priority))

    starts, ends, t0, t1 = [], [], [], []
    for sh in scenario.shifts:
        a, b = clock.to_seconds(sh.start_time), clock.to_seconds(sh.end_time)
        t0.append(a)
        t1.append(b)
        for place, out, what in ((sh.start_location, starts, "start"), (sh.end_point, ends, "end")):
            out.append(len(service))
            points.append(place)
            point_label.append(f"{what} of shift {sh.id!r}")
            node_point.append(len(points) - 1)
            service.append(0)
            windows.append(np.array([[a, b]], dtype=np.int64))
            max_late.append(0)
            late_cost.append(0)
            level.append(0)
            node_task.append(-1)

    try:
        matrix = travel.matrix(points)
    except TravelError as e:
        if not e.points:
            raise
        who = ", ".join(point_label[i] for i in e.points[:5] if 0 <= i < len(point_label))
        raise TravelError(f"travel: {who}: {e}", points=e.points) from None
    node_point_arr = np.array(node_point, dtype=np.int64)
    sub = matrix.take(node_point_arr)
    n = len(service)
    m = len(scenario.shifts)
    problem = Problem(
        duration=sub.duration_s.astype(np.int64),
        distance=sub.distance_m.astype(np.int64),
        service=np.array(service, dtype=np.int64),
        windows=tuple(windows),
        max_late=np.array(max_late, dtype=np.int64),
        late_cost=np.array(late_cost, dtype=np.int64),
        required_level=np.array(level, dtype=np.int64),
        demand=np.zeros(n, dtype=np.int64),
        node_task=np.array(node_task, dtype=np.int64),
        task_nodes=tuple(task_nodes),
        task_penalty=np.array(penalty, dtype=np.int64),
        task_mandatory=np.array(mandatory, dtype=bool),
        start_node=np.array(starts, dtype=np.int64),
        end_node=np.array(ends, dtype=np.int64),
        shift_start=np.array(t0, dtype=np.int64),
        shift_end=np.array(t1, dtype=np.int64),
        vehicle_level=np.array([sh.qualification for sh in scenario.shifts], dtype=np.int64),
        fixed_cost=np.array([eur_to_units(sh.cost_per_shift_eur) for sh in scenario.shifts], dtype=np.int64),
        cost_per_m=np.array([eur_to_units(sh.cost_per_km_eur / 1000.0) for sh in scenario.shifts], dtype=np.int64),
        capacity=np.zeros(m, dtype=np.int64),
        task_ids=tuple(v.id for v in scenario.visits),
        vehicle_ids=tuple(sh.id for sh in scenario.shifts),
    )
    if not clients:  # pragma: no cover - the model requires clients
        raise InputError("scenario has no clients")
    return CompiledNight(problem, matrix, node_point_arr,
                         tuple(v.id for v in scenario.visits), tuple(sh.id for sh in scenario.shifts))


def permute_nodes(problem: Problem, order: np.ndarray) -> Problem:
    """The same problem with node ``k`` renamed ``inverse[k]`` (``order[new] = old``).

    Used to diversify the search deterministically: OR-Tools' heuristics break ties by node
    index, so a seeded permutation gives a different but reproducible search.
    """
    order = np.asarray(order, dtype=np.int64)
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    ix = np.ix_(order, order)
    return Problem(
        duration=problem.duration[ix], distance=problem.distance[ix], service=problem.service[order],
        windows=tuple(problem.windows[i] for i in order), max_late=problem.max_late[order],
        late_cost=problem.late_cost[order], required_level=problem.required_level[order],
        demand=problem.demand[order], node_task=problem.node_task[order],
        task_nodes=tuple(tuple(int(inv[n]) for n in nodes) for nodes in problem.task_nodes),
        task_penalty=problem.task_penalty, task_mandatory=problem.task_mandatory,
        start_node=inv[problem.start_node], end_node=inv[problem.end_node],
        shift_start=problem.shift_start, shift_end=problem.shift_end, vehicle_level=problem.vehicle_level,
        fixed_cost=problem.fixed_cost, cost_per_m=problem.cost_per_m, capacity=problem.capacity,
        task_ids=problem.task_ids, vehicle_ids=problem.vehicle_ids,
    )


def restrict_tasks(problem: Problem, tasks: list[int] | np.ndarray) -> tuple[Problem, np.ndarray]:
    """The sub-problem with only ``tasks`` (and every vehicle), plus ``node_map[new] = old``.

    Used for coalitions: the same compiled night, fewer visits, no recompilation.
    """
    tasks = [int(t) for t in tasks]
    keep = [n for t in tasks for n in problem.task_nodes[t]]
    depots = sorted(set(int(x) for x in problem.start_node) | set(int(x) for x in problem.end_node))
    node_map = np.array(keep + depots, dtype=np.int64)
    new_of = {int(old): new for new, old in enumerate(node_map)}
    ix = np.ix_(node_map, node_map)
    task_index = {t: i for i, t in enumerate(tasks)}
    node_task = np.array([task_index[int(problem.node_task[o])] if problem.node_task[o] >= 0 else -1
                          for o in node_map], dtype=np.int64)
    sub = Problem(
        duration=problem.duration[ix], distance=problem.distance[ix], service=problem.service[node_map],
        windows=tuple(problem.windows[o] for o in node_map), max_late=problem.max_late[node_map],
        late_cost=problem.late_cost[node_map], required_level=problem.required_level[node_map],
        demand=problem.demand[node_map], node_task=node_task,
        task_nodes=tuple(tuple(new_of[n] for n in problem.task_nodes[t]) for t in tasks),
        task_penalty=problem.task_penalty[tasks] if tasks else problem.task_penalty[:0],
        task_mandatory=problem.task_mandatory[tasks] if tasks else problem.task_mandatory[:0],
        start_node=np.array([new_of[int(x)] for x in problem.start_node], dtype=np.int64),
        end_node=np.array([new_of[int(x)] for x in problem.end_node], dtype=np.int64),
        shift_start=problem.shift_start, shift_end=problem.shift_end, vehicle_level=problem.vehicle_level,
        fixed_cost=problem.fixed_cost, cost_per_m=problem.cost_per_m, capacity=problem.capacity,
        task_ids=tuple(problem.task_ids[t] for t in tasks) if problem.task_ids else (),
        vehicle_ids=problem.vehicle_ids,
    )
    return sub, node_map
