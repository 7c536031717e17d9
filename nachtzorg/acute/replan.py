"""The remaining night as a :class:`~nachtzorg.problem.Problem`: nurses start where they are.

Everything here is plain integers (seconds, metres, cost units) and floats only for
coordinates. A *live night* is a list of :class:`LiveNurse` (where she is free, from when,
and the refs of her remaining stops in order) plus a :class:`TaskSpec` per ref (a planned
visit or an accepted acute call). :func:`build_remaining` compiles it into a new Problem:

- one start node per nurse at her current position (a client's door, or a point on the road),
  with ``shift_start`` = the second she is free; done and in-progress stops are not in it, so
  they can never move;
- windows of planned visits as in the scenario, with lateness allowed to the end of the night
  (the scenario's cap is kept in ``TaskSpec.max_late_s`` to report a broken cap); an acute
  call's window runs from its receipt to its response norm, lateness past the norm is costly;
- ``shift_end`` = the shift's end plus :data:`OVERTIME_ALLOWED_S` (overtime is reported, not
  forbidden); no fixed cost (the shift is paid already).

:func:`advance` moves a live night to a later second following its own timing (stops whose
start has passed become fixed); :func:`reoptimise` runs OR-Tools warm-started from the
current routes within a budget and keeps the result only when our own timing says it is
cheaper.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..model import LatLon
from ..problem import Problem, ProblemBuilder, eur_to_units
from ..schedule import Schedule, schedule_routes, total_cost
from ..solve import SolveParams, solve
from ..travel import TravelProvider

#: How far past her shift end a re-plan may keep a nurse (reported as overtime), seconds.
OVERTIME_ALLOWED_S = 3 * 3600
#: Lateness cost of an acute call past its response norm, euros per minute.
ACUTE_LATE_EUR_PER_MIN = 20.0
#: Largest lateness the remaining problem allows (the rest of any night), seconds.
_OPEN_LATE_S = 24 * 3600


@dataclass(frozen=True)
class TaskSpec:
    """One thing to do: a planned visit or an acute call (times in s, cost in units)."""

    ref: str
    kind: str  # "visit" or "acute"
    lat: float
    lon: float
    service_s: int
    windows: np.ndarray  # (k, 2) start-of-service intervals, s
    max_late_s: int  # the scenario's cap on lateness (reporting only)
    late_cost: int  # units per second late
    level: int
    nurses: int
    penalty: int
    mandatory: bool = True
    received_s: int | None = None  # acute calls: when the call came in
    norm_s: int | None = None  # acute calls: response norm


@dataclass
class LiveNurse:
    """A nurse during the night: free at ``(lat, lon)`` from ``free_at`` s; ``remaining`` refs."""

    shift: str
    level: int
    lat: float
    lon: float
    free_at: int
    shift_end: int
    end_lat: float
    end_lon: float
    cost_per_m: int
    remaining: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FixedStop:
    """A stop that has started by ``now`` (in progress or done), seconds."""

    shift: str
    ref: str
    arrival: int
    start: int
    end: int
    distance_m: int


@dataclass
class Remaining:
    """The compiled remaining night and the maps back to refs."""

    problem: Problem
    routes: list[list[int]]
    refs: list[str]  # per task
    specs: list[TaskSpec]  # per task
    nodes_of: dict[str, tuple[int, ...]]
    node_lat: np.ndarray
    node_lon: np.ndarray
    shift_end: np.ndarray  # per vehicle, the real shift end (without overtime), s

    def schedule(self, routes: list[list[int]] | None = None) -> Schedule:
        return schedule_routes(self.problem, self.routes if routes is None else routes)

    def ref_routes(self, routes: list[list[int]] | None = None) -> list[list[str]]:
        routes = self.routes if routes is None else routes
        return [[self.refs[int(self.problem.node_task[n])] for n in r] for r in routes]


def _points_matrix(travel: TravelProvider, lat: list[float], lon: list[float]) -> tuple[np.ndarray, np.ndarray]:
    pts = [LatLon.model_construct(lat=a, lon=b) for a, b in zip(lat, lon)]
    m = travel.matrix(pts)
    return m.duration_s.astype(np.int64), m.distance_m.astype(np.int64)


def build_remaining(nurses: list[LiveNurse], specs: dict[str, TaskSpec], travel: TravelProvider,
                    extra: list[str] = ()) -> Remaining:
    """Compile the remaining night; ``extra`` refs get nodes but are on no route yet."""
    order: list[str] = []
    seen: set[str] = set()
    for nz in nurses:
        for ref in nz.remaining:
            if ref not in seen:
                seen.add(ref)
                order.append(ref)
    for ref in extra:
        if ref not in seen:
            seen.add(ref)
            order.append(ref)
    task_specs = [specs[r] for r in order]
    # points: unique task places, then nurse positions, then end places
    lat: list[float] = []
    lon: list[float] = []
    point_index: dict[tuple[float, float], int] = {}

    def point(a: float, b: float) -> int:
        key = (a, b)
        if key not in point_index:
            point_index[key] = len(lat)
            lat.append(a)
            lon.append(b)
        return point_index[key]

    task_point = [point(sp.lat, sp.lon) for sp in task_specs]
    depot_points = [(point(nz.lat, nz.lon), point(nz.end_lat, nz.end_lon)) for nz in nurses]
    dur, dist = _points_matrix(travel, lat, lon)
    b = ProblemBuilder(dur, dist)
    task_nodes = []
    for t, (sp, pt) in enumerate(zip(task_specs, task_point)):
        b.add_task(pt, service_s=sp.service_s, windows=sp.windows, copies=sp.nurses, max_late_s=_OPEN_LATE_S,
                   late_cost=sp.late_cost, level=sp.level, penalty=sp.penalty, mandatory=sp.mandatory, id=sp.ref)
    for nz, (ps, pe) in zip(nurses, depot_points):
        start, end = b.add_depot(ps), b.add_depot(pe)
        b.add_vehicle(start, end, shift_start=nz.free_at, shift_end=nz.shift_end + OVERTIME_ALLOWED_S, level=nz.level,
                      fixed_cost=0, cost_per_m=nz.cost_per_m, id=nz.shift)
    problem = b.build()
    npt = b.node_points
    task_nodes = list(problem.task_nodes)
    nodes_of = {ref: task_nodes[t] for t, ref in enumerate(order)}
    used: dict[str, int] = {}
    routes = []
    for nz in nurses:
        r = []
        for ref in nz.remaining:
            k = used.get(ref, 0)
            r.append(nodes_of[ref][k])
            used[ref] = k + 1
        routes.append(r)
    all_lat = np.array(lat, dtype=float)[npt]
    all_lon = np.array(lon, dtype=float)[npt]
    return Remaining(problem, routes, order, task_specs, nodes_of, all_lat, all_lon,
                     np.array([nz.shift_end for nz in nurses], dtype=np.int64))


def with_routes(nurses: list[LiveNurse], rem: Remaining, routes: list[list[int]]) -> list[LiveNurse]:
    """Copies of ``nurses`` whose remaining stops follow ``routes`` (node lists of ``rem``)."""
    refs = rem.ref_routes(routes)
    return [dataclasses.replace(nz, remaining=list(r)) for nz, r in zip(nurses, refs)]


def advance(nurses: list[LiveNurse], rem: Remaining, now: int,
            sched: Schedule | None = None) -> tuple[list[LiveNurse], list[FixedStop]]:
    """The nurses at second ``now`` if the remaining night runs as timed, and the stops that
    started by then (in progress or done). A nurse between two stops is placed on the road
    (coordinates interpolated by elapsed driving time) and is free at ``now``."""
    sched = sched or rem.schedule()
    out: list[LiveNurse] = []
    fixed: list[FixedStop] = []
    for v, nz in enumerate(nurses):
        stops = sched.stops[v]
        k = 0
        lat, lon, free = nz.lat, nz.lon, nz.free_at
        while k < len(stops) and stops[k].start <= now:
            st = stops[k]
            fixed.append(FixedStop(nz.shift, nz.remaining[k], st.arrival, st.start, st.end, st.distance_m))
            lat, lon, free = float(rem.node_lat[st.node]), float(rem.node_lon[st.node]), st.end
            k += 1
        if k < len(stops) and free <= now:
            st = stops[k]
            depart = st.arrival - st.travel_s
            if now >= st.arrival:  # waiting at the door
                lat, lon = float(rem.node_lat[st.node]), float(rem.node_lon[st.node])
            elif now > depart and st.travel_s > 0:  # on the road
                f = (now - depart) / st.travel_s
                lat = lat + f * (float(rem.node_lat[st.node]) - lat)
                lon = lon + f * (float(rem.node_lon[st.node]) - lon)
            free = now
        elif free < now:
            free = now
        out.append(dataclasses.replace(nz, lat=lat, lon=lon, free_at=max(free, nz.free_at),
                                       remaining=list(nz.remaining[k:])))
    return out, fixed


def reoptimise(rem: Remaining, routes: list[list[int]], *, time_limit_s: float | None = 1.0,
               solution_limit: int | None = None, seed: int = 0) -> tuple[list[list[int]], dict]:
    """OR-Tools warm-started from ``routes``; returns the cheaper of the two (our own timing
    and cost decide) and a small report. Deterministic when only ``solution_limit`` is set."""
    p = rem.problem
    before = total_cost(p, routes)
    info = {"reoptimised": False, "cost_before": before, "cost_after": before}
    if not any(routes):
        return routes, info
    params = SolveParams(time_limit_s=time_limit_s, solution_limit=solution_limit, seed=seed).replace(
        metaheuristic="gls")
    res = solve(p, params, initial=routes)
    sched = schedule_routes(p, res.routes)
    served_before = {int(p.node_task[n]) for r in routes for n in r}
    served_after = {int(p.node_task[n]) for r in res.routes for n in r}
    if sched.feasible and served_before <= served_after:
        after = total_cost(p, res.routes, sched)
        info["cost_after"] = after
        if after < before:
            info["reoptimised"] = True
            return res.routes, info
    return routes, info


def acute_late_cost() -> int:
    """Cost units per second an acute call starts past its norm."""
    return eur_to_units(ACUTE_LATE_EUR_PER_MIN / 60.0)
