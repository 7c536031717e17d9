"""The compiled problem and its one builder: plain integer arrays for solver, schedule and explain.

Every feature builds its :class:`Problem` here: a night (:func:`compile_scenario`), a benchmark
instance, the remaining night of an acute call and a coalition's restriction all go through
:class:`ProblemBuilder` (add depots, tasks and vehicles, then :meth:`~ProblemBuilder.build`
once) or through the transforms below it (:func:`restrict_tasks`, :func:`restrict_vehicles`,
:func:`forbid_vehicle`, :func:`permute_nodes`). Nothing else constructs a Problem.

Units: time in integer **seconds** (benchmark instances: the instance's time unit x 10),
distance in integer **metres** (instance unit x 10), money in integer **micro-euros**
(1e-6 EUR): OR-Tools only sees integers.

Nodes are points a nurse passes: task copies (a two-nurse visit has two copies, one per
nurse) and depot nodes (where vehicles start and end; several vehicles may share one). A
*task* is what can be served or left unassigned (a visit, an acute call, a benchmark customer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from .exceptions import InputError, TravelError
from .model import LatLon, Scenario
from .travel import TravelMatrix, TravelProvider, provider_for

#: Money unit of the compiled problem, in euros.
MICRO_EUR = 1e-6
#: Cost of leaving a mandatory visit unserved, euros per priority level. Large enough that
#: the solver drops a mandatory visit only when no plan can include it.
MANDATORY_DROP_EUR = 100_000.0


def eur_to_units(eur: float) -> int:
    """Euros as integer cost units (micro-euros)."""
    return int(round(eur / MICRO_EUR))


def units_to_eur(units: int | float) -> float:
    """Integer cost units (micro-euros) as euros."""
    return float(units) * MICRO_EUR


@dataclass(frozen=True)
class Problem:
    """A vehicle-routing problem with time windows, in integers.

    Node arrays have length ``n_nodes``; vehicle arrays length ``n_vehicles``; task arrays
    length ``n_tasks``. ``windows[i]`` is a ``(k, 2)`` array of allowed *start of service*
    intervals of node ``i``; the last may be exceeded by ``max_late[i]`` at ``late_cost[i]``
    units per second. Depot nodes have the span of their vehicles' shifts as window and
    service 0. ``allowed[i, v]``: vehicle ``v`` may serve node ``i`` (qualification).
    """

    duration: np.ndarray  # (n, n) travel time, s
    distance: np.ndarray  # (n, n) travel distance, m
    service: np.ndarray  # (n,) service time, s
    windows: tuple[np.ndarray, ...]  # per node (k, 2) start-of-service intervals, s
    max_late: np.ndarray  # (n,) allowed lateness past the last window end, s
    late_cost: np.ndarray  # (n,) units per second late
    required_level: np.ndarray  # (n,) qualification a node needs (0 = anyone)
    allowed: np.ndarray  # (n, m) bool, vehicle may serve node
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
    # home-care rules (all optional: none by default)
    dependencies: tuple[tuple[int, int, int, int, int], ...] = ()  # (node a, node b, min gap s, max gap s, rule)
    breaks: tuple[tuple[tuple[int, int, int], ...], ...] = ()  # per vehicle: (duration s, earliest, latest start s)
    node_vehicle_cost: np.ndarray | None = None  # (n, m) units when vehicle v serves node i (preferences)
    overtime_max: np.ndarray | None = None  # (m,) s a vehicle may stay past shift_end
    overtime_cost: np.ndarray | None = None  # (m,) units per second past shift_end
    max_late_cost: int = 0  # units per second of the largest lateness of the plan

    @property
    def has_rules(self) -> bool:
        """Whether any home-care rule beyond windows, levels and two-nurse visits is set."""
        return bool(self.dependencies or any(self.breaks) or self.node_vehicle_cost is not None
                    or (self.overtime_max is not None and self.overtime_max.any()) or self.max_late_cost)

    @property
    def latest_back(self) -> np.ndarray:
        """(m,) latest time each vehicle may be back, overtime included, s."""
        return self.shift_end if self.overtime_max is None else self.shift_end + self.overtime_max

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
        """Latest time any vehicle may be back, overtime included, s."""
        return int(self.latest_back.max())

    def allowed_vehicles(self, node: int) -> np.ndarray:
        """Vehicles that may serve ``node``."""
        return np.flatnonzero(self.allowed[node])

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
        """Fixed plus distance cost of one route, plus what its visits cost on this vehicle
        (preferences), in units; without lateness and overtime (they depend on the timing)."""
        if not route:
            return 0
        path = [int(self.start_node[vehicle]), *route, int(self.end_node[vehicle])]
        metres = int(self.distance[path[:-1], path[1:]].sum())
        extra = 0 if self.node_vehicle_cost is None else int(self.node_vehicle_cost[route, vehicle].sum())
        return int(self.fixed_cost[vehicle]) + metres * int(self.cost_per_m[vehicle]) + extra


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
    latest_back: list[int]  # per vehicle, shift end plus allowed overtime
    links: list[tuple[int, int, int, int, int]]  # dependencies, two-nurse copies as (a, b, 0, 0, DIFFERENT)

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
        links = [(a, b, 0, 0, DIFFERENT) for a, b in partner.items() if a < b] + list(p.dependencies)
        return cls(p.duration.tolist(), p.distance.tolist(), p.service.tolist(), windows, hard,
                   p.start_node.tolist(), p.end_node.tolist(), p.shift_start.tolist(), p.shift_end.tolist(),
                   [w[-1][1] for w in hard], p.late_cost.tolist(), partner, p.latest_back.tolist(), links)


#: Which nurse serves the later visit of a dependency.
ANY, SAME, DIFFERENT = 0, 1, 2
RULES = {"any": ANY, "same": SAME, "different": DIFFERENT}
#: Max gap of a dependency without an upper bound, s (longer than any night).
NO_MAX_GAP = 7 * 24 * 3600


def _new(**arrays: Any) -> Problem:
    """The one place a :class:`Problem` is constructed (the builder and the transforms)."""
    return Problem(**arrays)


def _arrays(problem: Problem) -> dict[str, Any]:
    return {f.name: getattr(problem, f.name) for f in fields(Problem)}


class ProblemBuilder:
    """Collects depots, tasks and vehicles over a matrix of points, then emits the Problem.

    ``duration_s``/``distance_m`` are square integer matrices over *points* (places); nodes
    refer to points, so several nodes may share one. Nodes are numbered in the order they are
    added (depots and task copies). A depot's window is the span of its vehicles' shifts.
    Who may serve a task follows its level, its skills (all needed) and the nurses it excludes;
    a task served by a nurse outside its ``preferred`` costs ``preference_cost``.

    >>> import numpy as np
    >>> b = ProblemBuilder(np.array([[0, 60], [60, 0]]), np.array([[0, 900], [900, 0]]))
    >>> depot = b.add_depot(0)
    >>> b.add_task(1, service_s=600, windows=[(0, 3600)], penalty=10**9)
    0
    >>> b.add_vehicle(depot, depot, shift_start=0, shift_end=7200)
    0
    >>> b.build().n_nodes
    2
    """

    def __init__(self, duration_s: np.ndarray, distance_m: np.ndarray) -> None:
        self._duration = np.asarray(duration_s, dtype=np.int64)
        self._distance = np.asarray(distance_m, dtype=np.int64)
        n = self._duration.shape[0]
        if self._duration.shape != (n, n) or self._distance.shape != (n, n):
            raise InputError(f"travel matrices must be square and alike, got {self._duration.shape} "
                             f"and {self._distance.shape}")
        self._point: list[int] = []
        self._service: list[int] = []
        self._windows: list[np.ndarray | None] = []  # None: a depot, window set at build
        self._max_late: list[int] = []
        self._late_cost: list[int] = []
        self._level: list[int] = []
        self._demand: list[int] = []
        self._node_task: list[int] = []
        self._task_nodes: list[tuple[int, ...]] = []
        self._penalty: list[int] = []
        self._mandatory: list[bool] = []
        self._task_ids: list[str] = []
        self._task_rules: list[tuple[frozenset[str], frozenset[str], frozenset[str], int]] = []
        self._vehicles: list[dict[str, Any]] = []
        self._dependencies: list[tuple[int, int, int, int, int]] = []
        self._max_late_cost = 0

    @property
    def node_points(self) -> np.ndarray:
        """Point index of every node added so far."""
        return np.array(self._point, dtype=np.int64)

    def _add_node(self, point: int, service: int, windows: np.ndarray | None, max_late: int, late_cost: int,
                  level: int, demand: int, task: int) -> int:
        if not 0 <= point < self._duration.shape[0]:
            raise InputError(f"point {point} is not in the travel matrix ({self._duration.shape[0]} points)")
        self._point.append(int(point))
        self._service.append(int(service))
        self._windows.append(windows)
        self._max_late.append(int(max_late))
        self._late_cost.append(int(late_cost))
        self._level.append(int(level))
        self._demand.append(int(demand))
        self._node_task.append(int(task))
        return len(self._point) - 1

    def add_depot(self, point: int) -> int:
        """A node where vehicles start or end; returns the node."""
        return self._add_node(point, 0, None, 0, 0, 0, 0, -1)

    def add_task(self, point: int, *, service_s: int, windows: Sequence[Sequence[int]] | np.ndarray,
                 penalty: int, copies: int = 1, mandatory: bool = True, max_late_s: int = 0, late_cost: int = 0,
                 level: int = 0, demand: int = 0, id: str = "", skills: frozenset[str] = frozenset(),
                 excluded: frozenset[str] = frozenset(), preferred: frozenset[str] = frozenset(),
                 preference_cost: int = 0) -> int:
        """A task at ``point`` served by ``copies`` vehicles starting together (two-nurse visits);
        ``windows``: start intervals in seconds, in time order; ``penalty``: units for leaving
        it unserved; ``skills``: all needed; ``excluded``/``preferred``: nurse ids. Returns the
        task index; its nodes are the next ``copies`` nodes."""
        w = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
        if w.shape[0] == 0:
            raise InputError(f"task {id or len(self._task_nodes)} has no window")
        t = len(self._task_nodes)
        nodes = tuple(self._add_node(point, service_s, w, max_late_s, late_cost, level, demand, t)
                      for _ in range(copies))
        self._task_nodes.append(nodes)
        self._penalty.append(int(penalty))
        self._mandatory.append(bool(mandatory))
        self._task_ids.append(id)
        self._task_rules.append((frozenset(skills), frozenset(excluded), frozenset(preferred), int(preference_cost)))
        return t

    def add_dependency(self, first: int, then: int, *, min_gap_s: int = 0, max_gap_s: int | None = None,
                       nurse: str = "any") -> None:
        """Task ``then`` starts between ``min_gap_s`` and ``max_gap_s`` after task ``first``
        starts, by the ``same`` nurse, a ``different`` one or ``any`` (when both are served)."""
        if nurse not in RULES:
            raise InputError(f"dependency nurse rule {nurse!r}: choose any, same or different")
        for t in (first, then):
            if not 0 <= t < len(self._task_nodes):
                raise InputError(f"dependency on unknown task {t}")
        hi = NO_MAX_GAP if max_gap_s is None else int(max_gap_s)
        for a in self._task_nodes[first][:1]:
            for b in self._task_nodes[then][:1]:
                self._dependencies.append((a, b, int(min_gap_s), hi, RULES[nurse]))

    def add_vehicle(self, start: int, end: int, *, shift_start: int, shift_end: int, level: int = 0,
                    fixed_cost: int = 0, cost_per_m: int = 1, capacity: int = 0, id: str = "",
                    skills: frozenset[str] = frozenset(), nurse: str | None = None,
                    breaks: Sequence[tuple[int, int, int]] = (), overtime_max_s: int = 0,
                    overtime_cost: int = 0) -> int:
        """A vehicle (a nurse's shift) from depot node ``start`` to depot node ``end`` between
        ``shift_start`` and ``shift_end`` (s), with her skills, pseudonymous ``nurse`` id (default
        ``id``), breaks ``(duration, earliest start, latest start)`` s and allowed overtime;
        returns its index."""
        for node in (start, end):
            if not 0 <= node < len(self._point) or self._node_task[node] != -1:
                raise InputError(f"vehicle {id or len(self._vehicles)}: node {node} is not a depot")
        self._vehicles.append(dict(start=int(start), end=int(end), t0=int(shift_start), t1=int(shift_end),
                                   level=int(level), fixed=int(fixed_cost), per_m=int(cost_per_m),
                                   capacity=int(capacity), id=id, skills=frozenset(skills), nurse=nurse or id,
                                   breaks=tuple(tuple(int(x) for x in b) for b in breaks),
                                   ot=int(overtime_max_s), ot_cost=int(overtime_cost)))
        return len(self._vehicles) - 1

    def set_max_lateness_cost(self, units_per_s: int) -> None:
        """Cost per second of the largest lateness of the plan (no single client waits long)."""
        self._max_late_cost = int(units_per_s)

    def _rules(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The allowed matrix (n, m) and the preference costs (n, m) or None."""
        veh = self._vehicles
        level = np.array(self._level, dtype=np.int64)
        vlevel = np.array([v["level"] for v in veh], dtype=np.int64)
        allowed = vlevel[None, :] >= level[:, None]
        cost = None
        for t, (skills, excluded, preferred, pcost) in enumerate(self._task_rules):
            if not (skills or excluded or (preferred and pcost)):
                continue
            ok = np.array([skills <= v["skills"] and v["nurse"] not in excluded for v in veh], dtype=bool)
            extra = np.array([pcost if preferred and v["nurse"] not in preferred else 0 for v in veh], dtype=np.int64)
            for node in self._task_nodes[t]:
                allowed[node] &= ok
                if extra.any():
                    if cost is None:
                        cost = np.zeros(allowed.shape, dtype=np.int64)
                    cost[node] = extra
        return allowed, cost

    def build(self) -> Problem:
        """The immutable problem of everything added (call once everything is added)."""
        veh = self._vehicles
        if not veh:
            raise InputError("a problem needs at least one vehicle")
        windows = list(self._windows)
        for node, w in enumerate(windows):
            if w is None:
                spans = [(v["t0"], v["t1"] + v["ot"]) for v in veh if node in (v["start"], v["end"])]
                lo = min((a for a, _ in spans), default=0)
                hi = max((b for _, b in spans), default=0)
                windows[node] = np.array([[lo, hi]], dtype=np.int64)
        pts = np.array(self._point, dtype=np.int64)
        ix = np.ix_(pts, pts)
        allowed, pref_cost = self._rules()
        ot = np.array([v["ot"] for v in veh], dtype=np.int64)
        ot_cost = np.array([v["ot_cost"] for v in veh], dtype=np.int64)
        breaks = tuple(v["breaks"] for v in veh)
        return _new(
            duration=self._duration[ix], distance=self._distance[ix],
            service=np.array(self._service, dtype=np.int64), windows=tuple(windows),
            max_late=np.array(self._max_late, dtype=np.int64), late_cost=np.array(self._late_cost, dtype=np.int64),
            required_level=np.array(self._level, dtype=np.int64), allowed=allowed,
            demand=np.array(self._demand, dtype=np.int64),
            node_task=np.array(self._node_task, dtype=np.int64), task_nodes=tuple(self._task_nodes),
            task_penalty=np.array(self._penalty, dtype=np.int64), task_mandatory=np.array(self._mandatory, dtype=bool),
            start_node=np.array([v["start"] for v in veh], dtype=np.int64),
            end_node=np.array([v["end"] for v in veh], dtype=np.int64),
            shift_start=np.array([v["t0"] for v in veh], dtype=np.int64),
            shift_end=np.array([v["t1"] for v in veh], dtype=np.int64),
            vehicle_level=np.array([v["level"] for v in veh], dtype=np.int64),
            fixed_cost=np.array([v["fixed"] for v in veh], dtype=np.int64),
            cost_per_m=np.array([v["per_m"] for v in veh], dtype=np.int64),
            capacity=np.array([v["capacity"] for v in veh], dtype=np.int64),
            task_ids=tuple(self._task_ids), vehicle_ids=tuple(v["id"] for v in veh),
            dependencies=tuple(self._dependencies), breaks=breaks if any(breaks) else (),
            node_vehicle_cost=pref_cost, overtime_max=ot if ot.any() else None,
            overtime_cost=ot_cost if ot_cost.any() else None, max_late_cost=self._max_late_cost,
        )


# --------------------------------------------------------------------------- the night fronts
class TaskRow(NamedTuple):
    """One task as the builder takes it, before travel is known (seconds, cost units)."""

    id: str
    lat: float
    lon: float
    service_s: int
    windows: np.ndarray  # (k, 2) start intervals, s
    copies: int  # nurses who serve it together
    max_late_s: int  # the scenario's cap on lateness past the last window end
    late_cost: int  # units per second late
    level: int
    penalty: int  # units for leaving it unserved
    mandatory: bool
    skills: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # nurse ids
    preferred: frozenset[str] = frozenset()  # nurse ids
    preference_cost: int = 0  # units when served by a nurse outside ``preferred``


class DependencyRow(NamedTuple):
    """``then`` starts between ``min_gap_s`` and ``max_gap_s`` after ``first`` starts (refs)."""

    first: str
    then: str
    min_gap_s: int
    max_gap_s: int | None
    nurse: str  # any | same | different


class VehicleRow(NamedTuple):
    """One nurse's shift as the builder takes it (seconds, cost units)."""

    id: str
    start: tuple[float, float]  # (lat, lon)
    end: tuple[float, float]
    shift_start: int
    shift_end: int
    level: int
    fixed_cost: int
    cost_per_m: int
    skills: frozenset[str] = frozenset()
    nurse: str = ""  # the nurse's pseudonymous id
    breaks: tuple[tuple[int, int, int], ...] = ()  # (duration s, earliest start s, latest start s)
    overtime_max_s: int = 0
    overtime_cost: int = 0  # units per second


def visit_rows(scenario: Scenario) -> list[TaskRow]:
    """The scenario's visits as tasks, in scenario order (the one place visits become integers)."""
    clock = scenario.clock
    clients = {c.id: c for c in scenario.clients}
    rows = []
    for v in scenario.visits:
        rate = scenario.lateness_cost_per_min_eur if v.lateness_cost_per_min_eur is None else v.lateness_cost_per_min_eur
        penalty = v.penalty_eur if v.optional else MANDATORY_DROP_EUR * v.priority
        windows = np.array([clock.window_seconds(w.start, w.end) for w in v.windows], dtype=np.int64)
        c = clients[v.client]
        rows.append(TaskRow(v.id, c.location.lat, c.location.lon, int(round(v.duration_min * 60)), windows, v.nurses,
                            int(round(v.max_lateness_min * 60)), eur_to_units(rate / 60.0), v.qualification,
                            eur_to_units(penalty), not v.optional, frozenset(v.skills), frozenset(c.excluded_nurses),
                            frozenset(c.preferred_nurses), eur_to_units(c.preference_cost_eur)))
    return rows


def dependency_rows(scenario: Scenario) -> list[DependencyRow]:
    """Every ``after`` of every visit, as seconds."""
    return [DependencyRow(d.visit, v.id, int(round(d.min_gap_min * 60)),
                          None if d.max_gap_min is None else int(round(d.max_gap_min * 60)), d.nurse)
            for v in scenario.visits for d in v.after]


def vehicle_rows(scenario: Scenario) -> list[VehicleRow]:
    """The scenario's shifts as vehicles, in scenario order."""
    clock = scenario.clock
    return [VehicleRow(sh.id, (sh.start_location.lat, sh.start_location.lon), (sh.end_point.lat, sh.end_point.lon),
                       clock.to_seconds(sh.start_time), clock.to_seconds(sh.end_time), sh.qualification,
                       eur_to_units(sh.cost_per_shift_eur), eur_to_units(sh.cost_per_km_eur / 1000.0),
                       frozenset(sh.skills), sh.nurse_id,
                       tuple((int(round(b.duration_min * 60)), clock.to_seconds(b.earliest_start),
                              clock.to_seconds(b.latest_start)) for b in sh.breaks),
                       int(round(sh.overtime_max_min * 60)), eur_to_units(sh.overtime_cost_per_min_eur / 60.0))
            for sh in scenario.shifts]


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
    # Points: clients first, then each shift's start and end place.
    points = [c.location for c in scenario.clients]
    point_label = [f"client {c.id!r}" for c in scenario.clients]
    point_of_client = {c.id: i for i, c in enumerate(scenario.clients)}
    for sh in scenario.shifts:
        points += [sh.start_location, sh.end_point]
        point_label += [f"start of shift {sh.id!r}", f"end of shift {sh.id!r}"]
    try:
        matrix = travel.matrix(points)
    except TravelError as e:
        if not e.points:
            raise
        who = ", ".join(point_label[i] for i in e.points[:5] if 0 <= i < len(point_label))
        raise TravelError(f"travel: {who}: {e}", points=e.points) from None

    b = ProblemBuilder(matrix.duration_s, matrix.distance_m)
    for v, row in zip(scenario.visits, visit_rows(scenario)):
        _add_task(b, point_of_client[v.client], row, row.max_late_s)
    _add_dependencies(b, dependency_rows(scenario), {v.id: t for t, v in enumerate(scenario.visits)})
    first_depot = len(scenario.clients)
    for k, row in enumerate(vehicle_rows(scenario)):
        _add_vehicle(b, b.add_depot(first_depot + 2 * k), b.add_depot(first_depot + 2 * k + 1), row)
    b.set_max_lateness_cost(eur_to_units(scenario.max_lateness_cost_per_min_eur / 60.0))
    problem = b.build()
    return CompiledNight(problem, matrix, b.node_points, tuple(v.id for v in scenario.visits),
                         tuple(sh.id for sh in scenario.shifts))


def _add_task(b: ProblemBuilder, point: int, row: TaskRow, max_late_s: int) -> int:
    return b.add_task(point, service_s=row.service_s, windows=row.windows, copies=row.copies, max_late_s=max_late_s,
                      late_cost=row.late_cost, level=row.level, penalty=row.penalty, mandatory=row.mandatory,
                      id=row.id, skills=row.skills, excluded=row.excluded, preferred=row.preferred,
                      preference_cost=row.preference_cost)


def _add_dependencies(b: ProblemBuilder, rows: Sequence[DependencyRow], task_of: Mapping[str, int]) -> None:
    for d in rows:
        if d.first in task_of and d.then in task_of:
            b.add_dependency(task_of[d.first], task_of[d.then], min_gap_s=d.min_gap_s, max_gap_s=d.max_gap_s,
                             nurse=d.nurse)


def _add_vehicle(b: ProblemBuilder, start: int, end: int, row: VehicleRow) -> int:
    return b.add_vehicle(start, end, shift_start=row.shift_start, shift_end=row.shift_end, level=row.level,
                         fixed_cost=row.fixed_cost, cost_per_m=row.cost_per_m, id=row.id, skills=row.skills,
                         nurse=row.nurse or row.id, breaks=row.breaks, overtime_max_s=row.overtime_max_s,
                         overtime_cost=row.overtime_cost)


@dataclass(frozen=True)
class RemainingNight:
    """The rest of a night as a problem: its tasks, nurses starting where they are, and the
    coordinates of every node (a nurse on the road is at an interpolated point)."""

    problem: Problem  # task_ids: the tasks' refs; vehicle_ids: the shifts
    node_lat: np.ndarray
    node_lon: np.ndarray


def compile_remaining(tasks: Sequence[TaskRow], vehicles: Sequence[VehicleRow], travel: TravelProvider, *,
                      max_late_s: int, dependencies: Sequence[DependencyRow] = ()) -> RemainingNight:
    """The remaining night: ``tasks`` in order, and ``vehicles`` whose ``start`` is where each
    nurse is and whose ``shift_start`` is when she is free. Points are the distinct places in
    order of first appearance (tasks, then each vehicle's start and end); every task may be up to
    ``max_late_s`` late (the scenario's caps stay in the rows, for reporting)."""
    index: dict[tuple[float, float], int] = {}

    def point(where: tuple[float, float]) -> int:
        return index.setdefault(where, len(index))

    task_points = [point((t.lat, t.lon)) for t in tasks]
    depot_points = [(point(v.start), point(v.end)) for v in vehicles]
    places = list(index)
    m = travel.matrix([LatLon.model_construct(lat=a, lon=b) for a, b in places])
    b = ProblemBuilder(m.duration_s, m.distance_m)
    for row, pt in zip(tasks, task_points):
        _add_task(b, pt, row, max_late_s)
    _add_dependencies(b, dependencies, {t.id: k for k, t in enumerate(tasks)})
    for row, (ps, pe) in zip(vehicles, depot_points):
        _add_vehicle(b, b.add_depot(ps), b.add_depot(pe), row)
    npt = b.node_points
    lat = np.array([a for a, _ in places], dtype=float)
    lon = np.array([o for _, o in places], dtype=float)
    return RemainingNight(b.build(), lat[npt] if len(npt) else lat[:0], lon[npt] if len(npt) else lon[:0])


# --------------------------------------------------------------------------- transforms
def permute_nodes(problem: Problem, order: np.ndarray) -> Problem:
    """The same problem with node ``k`` renamed ``inverse[k]`` (``order[new] = old``).

    Used to diversify the search deterministically: OR-Tools' heuristics break ties by node
    index, so a seeded permutation gives a different but reproducible search.
    """
    order = np.asarray(order, dtype=np.int64)
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    a = _arrays(problem)
    ix = np.ix_(order, order)
    a.update(duration=problem.duration[ix], distance=problem.distance[ix],
             windows=tuple(problem.windows[i] for i in order),
             task_nodes=tuple(tuple(int(inv[n]) for n in nodes) for nodes in problem.task_nodes),
             start_node=inv[problem.start_node], end_node=inv[problem.end_node], allowed=problem.allowed[order],
             dependencies=tuple((int(inv[x]), int(inv[y]), lo, hi, r) for x, y, lo, hi, r in problem.dependencies))
    for name in ("service", "max_late", "late_cost", "required_level", "demand", "node_task"):
        a[name] = getattr(problem, name)[order]
    if problem.node_vehicle_cost is not None:
        a["node_vehicle_cost"] = problem.node_vehicle_cost[order]
    return _new(**a)


def restrict_tasks(problem: Problem, tasks: list[int] | np.ndarray) -> tuple[Problem, np.ndarray]:
    """The sub-problem with only ``tasks`` (and every vehicle), plus ``node_map[new] = old``.

    Used for coalitions and route groups: the same compiled night, fewer tasks, no recompilation.
    """
    tasks = [int(t) for t in tasks]
    keep = [n for t in tasks for n in problem.task_nodes[t]]
    depots = sorted(set(int(x) for x in problem.start_node) | set(int(x) for x in problem.end_node))
    node_map = np.array(keep + depots, dtype=np.int64)
    new_of = {int(old): new for new, old in enumerate(node_map)}
    task_index = {t: i for i, t in enumerate(tasks)}
    a = _arrays(problem)
    ix = np.ix_(node_map, node_map)
    a.update(
        duration=problem.duration[ix], distance=problem.distance[ix],
        windows=tuple(problem.windows[o] for o in node_map), allowed=problem.allowed[node_map],
        node_task=np.array([task_index[int(problem.node_task[o])] if problem.node_task[o] >= 0 else -1
                            for o in node_map], dtype=np.int64),
        task_nodes=tuple(tuple(new_of[n] for n in problem.task_nodes[t]) for t in tasks),
        task_penalty=problem.task_penalty[tasks] if tasks else problem.task_penalty[:0],
        task_mandatory=problem.task_mandatory[tasks] if tasks else problem.task_mandatory[:0],
        start_node=np.array([new_of[int(x)] for x in problem.start_node], dtype=np.int64),
        end_node=np.array([new_of[int(x)] for x in problem.end_node], dtype=np.int64),
        task_ids=tuple(problem.task_ids[t] for t in tasks) if problem.task_ids else (),
        dependencies=tuple((new_of[x], new_of[y], lo, hi, r) for x, y, lo, hi, r in problem.dependencies
                           if x in new_of and y in new_of),
    )
    for name in ("service", "max_late", "late_cost", "required_level", "demand"):
        a[name] = getattr(problem, name)[node_map]
    if problem.node_vehicle_cost is not None:
        a["node_vehicle_cost"] = problem.node_vehicle_cost[node_map]
    return _new(**a), node_map


_VEHICLE_FIELDS = ("start_node", "end_node", "shift_start", "shift_end", "vehicle_level", "fixed_cost",
                   "cost_per_m", "capacity")


def restrict_vehicles(problem: Problem, vehicles: list[int] | np.ndarray) -> Problem:
    """The same problem with only ``vehicles`` (indices, in the new order)."""
    v = np.asarray(vehicles, dtype=np.int64)
    a = _arrays(problem)
    for name in _VEHICLE_FIELDS:
        a[name] = getattr(problem, name)[v]
    a["allowed"] = problem.allowed[:, v]
    a["vehicle_ids"] = tuple(problem.vehicle_ids[i] for i in v) if problem.vehicle_ids else ()
    a["breaks"] = tuple(problem.breaks[i] for i in v) if problem.breaks else ()
    for name in ("overtime_max", "overtime_cost"):
        if getattr(problem, name) is not None:
            a[name] = getattr(problem, name)[v]
    if problem.node_vehicle_cost is not None:
        a["node_vehicle_cost"] = problem.node_vehicle_cost[:, v]
    return _new(**a)


def forbid_vehicle(problem: Problem, vehicle: int | Iterable[int], *, also: Iterable[int] = ()) -> Problem:
    """The same problem where ``vehicle`` (one or several) may serve no task (she is taken off
    the shift); the vehicles in ``also`` are taken off every task that the other vehicles can
    still serve (each copy some vehicle, a two-nurse task two different ones): ``also`` never
    leaves a task with fewer nurses than it needs."""
    allowed = problem.allowed.copy()
    tasks = problem.node_task >= 0
    allowed[np.ix_(tasks, [vehicle] if isinstance(vehicle, int) else list(vehicle))] = False
    also = list(also)
    if also:
        others = np.ones(allowed.shape[1], dtype=bool)
        others[also] = False
        for nodes in problem.task_nodes:
            if staffed(allowed[np.ix_(list(nodes), others)]):
                allowed[np.ix_(list(nodes), also)] = False
    return _new(**{**_arrays(problem), "allowed": allowed})


def staffed(allowed_rows: np.ndarray) -> bool:
    """Whether a task's copies (rows of ``allowed``, one per copy) can all get a nurse: each copy
    some vehicle, a two-nurse task two different ones."""
    return bool(allowed_rows.any(axis=1).all()) and int(allowed_rows.any(axis=0).sum()) >= len(allowed_rows)
