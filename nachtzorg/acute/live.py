"""The live night in integers: tasks, where each nurse is and what she has left, what is fixed.

Everything here is integer seconds of the night's clock, metres and cost units; coordinates are
the only floats. Clock times appear only at the edges (:mod:`.state` reads and writes them).

A :class:`LiveNight` holds every task (the scenario's visits and the accepted acute calls) as a
:class:`~nachtzorg.problem.TaskRow`, each nurse's position, the second she is free and the refs
of her remaining stops, and the stops that have started (:class:`Fixed`; they never move).
:meth:`LiveNight.remaining` compiles the rest of the night with the one builder
(:func:`~nachtzorg.problem.compile_remaining`): a nurse starts where she is, when she is free;
done and started stops are not in it; windows are the scenario's, with lateness allowed to the
end of the night (the scenario's caps stay in the rows, for reporting); a shift may run
:data:`OVERTIME_ALLOWED_S` past its end (overtime is reported, not forbidden); no fixed cost.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..exceptions import AcuteInputError, SolverError
from ..model import Scenario
from ..plan import Plan
from ..problem import (
    DependencyRow,
    RemainingNight,
    TaskRow,
    VehicleRow,
    compile_remaining,
    dependency_rows,
    eur_to_units,
    vehicle_rows,
    visit_rows,
)
from ..schedule import Schedule, schedule_routes, total_cost
from ..solve import SolveParams, solve
from ..solve.insertion import repair_routes
from ..travel import TravelProvider
from .calls import AcuteCall

#: How far past her shift end a re-plan may keep a nurse (reported as overtime), seconds.
OVERTIME_ALLOWED_S = 3 * 3600
#: Lateness cost of an acute call past its response norm, euros per minute.
ACUTE_LATE_EUR_PER_MIN = 20.0
#: Cost of leaving an accepted acute call unserved, cost units.
ACUTE_PENALTY = 10**12
#: Largest lateness the remaining problem allows (the rest of any night), seconds.
OPEN_LATE_S = 24 * 3600
#: The ref of a break among the fixed stops.
BREAK = "break"


class Fixed(NamedTuple):
    """A stop that has started (in progress or done), seconds and metres; it never moves."""

    shift: str
    ref: str
    arrival: int
    start: int
    end: int
    distance_m: int


class Nurse(NamedTuple):
    """Where a nurse is free, from which second, the refs of her remaining stops in order, the
    breaks she has still to take ``(duration, earliest start, latest start)``, seconds, and whether
    she is off for the rest of the night."""

    lat: float
    lon: float
    free_at: int
    remaining: tuple[str, ...]
    breaks: tuple[tuple[int, int, int], ...] = ()
    off: bool = False  # reported unavailable for the rest of the night


def call_row(call: AcuteCall, received_s: int, night_end: int) -> TaskRow:
    """The task of an acute call received at ``received_s``: its start window runs to the norm,
    later costs :data:`ACUTE_LATE_EUR_PER_MIN`."""
    w = np.array([[received_s, received_s + call.norm_s]], dtype=np.int64)
    return TaskRow(call.id, call.location.lat, call.location.lon, call.service_s, w, call.nurses,
                   max(0, night_end - received_s), eur_to_units(ACUTE_LATE_EUR_PER_MIN / 60.0), call.qualification,
                   ACUTE_PENALTY, True)


#: The rows of recently used scenarios, by ``id`` (a scenario is immutable; the weak reference
#: tells a live object from a recycled id). A service answers every request of a night from the
#: same scenario object: the rows' clock arithmetic is a third of a dispatch otherwise.
_ROWS: dict[int, tuple[weakref.ref, tuple]] = {}


def _rows_of(scenario: Scenario) -> tuple[tuple[VehicleRow, ...], list[TaskRow], tuple[DependencyRow, ...]]:
    hit = _ROWS.get(id(scenario))
    if hit is not None and hit[0]() is scenario:
        return hit[1]
    rows = (tuple(vehicle_rows(scenario)), visit_rows(scenario), tuple(dependency_rows(scenario)))
    if len(_ROWS) > 64:
        _ROWS.clear()
    _ROWS[id(scenario)] = (weakref.ref(scenario), rows)
    return rows


@dataclass(frozen=True)
class Remaining:
    """The compiled rest of the night and each nurse's remaining stops as node lists."""

    night: RemainingNight
    routes: list[list[int]]
    shift_end: np.ndarray  # per vehicle, the real shift end (without overtime), s

    @property
    def problem(self):  # noqa: ANN201 - a Problem
        return self.night.problem

    @property
    def refs(self) -> tuple[str, ...]:
        return self.night.problem.task_ids

    def nodes_of(self, ref: str) -> tuple[int, ...]:
        return self.problem.task_nodes[self.refs.index(ref)]

    def schedule(self, routes: list[list[int]] | None = None) -> Schedule:
        return schedule_routes(self.problem, self.routes if routes is None else routes)

    def ref_routes(self, routes: list[list[int]] | None = None) -> list[tuple[str, ...]]:
        p = self.problem
        return [tuple(self.refs[int(p.node_task[n])] for n in r) for r in (self.routes if routes is None else routes)]


@dataclass(frozen=True)
class LiveNight:
    """The night as of second ``now`` (module docstring). Methods return new nights."""

    scenario: Scenario
    tasks: Mapping[str, TaskRow]  # visits and accepted calls, by ref
    kinds: Mapping[str, str]  # ref -> "visit" | "acute"
    calls: Mapping[str, tuple[AcuteCall, int]]  # accepted calls and the second they came in
    vehicles: tuple[VehicleRow, ...]
    nurses: tuple[Nurse, ...]
    fixed: tuple[Fixed, ...] = ()
    source: Mapping[tuple[str, str], str] = dataclasses.field(default_factory=dict)  # (shift, ref) -> plan/event
    now: int = 0
    dependencies: tuple[DependencyRow, ...] = ()
    unrouted: tuple[str, ...] = ()  # tasks to serve that no nurse has (hers, when she went off)

    # ------------------------------------------------------------------ construction
    @classmethod
    def of_scenario(cls, scenario: Scenario, routes: Sequence[Sequence[str]] | None = None) -> LiveNight:
        """Every nurse at her start place when her shift starts, with ``routes`` (visit refs per
        shift, in scenario order of shifts; default: nothing planned)."""
        vehicles, rows, links = _rows_of(scenario)
        routes = routes if routes is not None else [()] * len(vehicles)
        nurses = tuple(Nurse(v.start[0], v.start[1], v.shift_start, tuple(r), tuple(sorted(v.breaks, key=lambda b: b[1])))
                       for v, r in zip(vehicles, routes))
        return cls(scenario, {r.id: r for r in rows}, {r.id: "visit" for r in rows}, {}, vehicles, nurses,
                   now=min(v.shift_start for v in vehicles), dependencies=links)

    @classmethod
    def of_plan(cls, scenario: Scenario, plan: Plan) -> LiveNight:
        """The night before anything happened, following ``plan``'s routes."""
        shifts = {s.id: i for i, s in enumerate(scenario.shifts)}
        visits = {v.id for v in scenario.visits}
        routes: list[tuple[str, ...]] = [()] * len(scenario.shifts)
        for r in plan.routes:
            if r.shift_id not in shifts:
                raise AcuteInputError(f"plan route for unknown shift {r.shift_id[:64]!r}: plan and scenario do not match")
            refs = tuple(s.visit_id for s in r.visits)
            bad = [x for x in refs if x not in visits]
            if bad:
                raise AcuteInputError(f"plan has visit {str(bad[0])[:64]!r} that is not in the scenario")
            if len(set(refs)) != len(refs):
                twice = next(x for x in refs if refs.count(x) > 1)
                raise AcuteInputError(f"plan lists visit {twice[:64]!r} twice on the route of {r.shift_id[:64]!r}")
            routes[shifts[r.shift_id]] = refs
        return cls.of_scenario(scenario, routes)

    @property
    def night_end(self) -> int:
        return max(v.shift_end for v in self.vehicles)

    @property
    def night_start(self) -> int:
        return min(v.shift_start for v in self.vehicles)

    def vehicle(self, shift: str) -> int:
        for k, v in enumerate(self.vehicles):
            if v.id == shift:
                return k
        raise AcuteInputError(f"unknown nurse (shift) {shift[:64]!r}")

    def with_call(self, call: AcuteCall, received_s: int) -> LiveNight:
        """The night with ``call`` among its tasks (on no route yet)."""
        return dataclasses.replace(
            self, tasks={**self.tasks, call.id: call_row(call, received_s, self.night_end)},
            kinds={**self.kinds, call.id: "acute"}, calls={**self.calls, call.id: (call, received_s)})

    def without_task(self, ref: str) -> LiveNight:
        """The night without the (unrouted) task ``ref`` (a call handed to the back-up)."""
        return dataclasses.replace(self, tasks={k: v for k, v in self.tasks.items() if k != ref},
                                   kinds={k: v for k, v in self.kinds.items() if k != ref},
                                   calls={k: v for k, v in self.calls.items() if k != ref})

    # ------------------------------------------------------------------ the rest of the night
    def remaining(self, travel: TravelProvider, extra: Sequence[str] = ()) -> Remaining:
        """The rest of the night compiled (module docstring); ``extra`` refs get nodes but are on
        no route yet (a call being dispatched)."""
        order: list[str] = []
        seen: set[str] = set()
        for ref in [r for n in self.nurses for r in n.remaining] + list(self.unrouted) + list(extra):
            if ref not in seen:
                seen.add(ref)
                order.append(ref)
        vehicles = [v._replace(start=(n.lat, n.lon), shift_start=n.free_at, fixed_cost=0, overtime_max_s=0,
                               # a nurse who is off has no time left: nothing can go to her
                               shift_end=n.free_at if n.off else v.shift_end + OVERTIME_ALLOWED_S,
                               breaks=() if n.off else tuple(b for b in n.breaks if b[2] >= n.free_at))
                    for v, n in zip(self.vehicles, self.nurses)]
        rows, links = self._rules([self.tasks[r] for r in order])
        night = compile_remaining(rows, vehicles, travel, max_late_s=OPEN_LATE_S, dependencies=links)
        p = night.problem
        used: dict[str, int] = {}
        routes = []
        for n in self.nurses:
            r = []
            for ref in n.remaining:
                k = used.get(ref, 0)
                r.append(p.task_nodes[order.index(ref)][k])
                used[ref] = k + 1
            routes.append(r)
        return Remaining(night, routes, np.array([v.shift_end for v in self.vehicles], dtype=np.int64))

    def _rules(self, rows: list[TaskRow]) -> tuple[list[TaskRow], list[DependencyRow]]:
        """The rest of the night's dependencies: between two remaining visits as they are; a
        remaining visit that follows a started one gets its window cut to the gap (its lateness
        cap 0 past the gap's end, so an option that breaks the dependency breaks a cap) and the
        nurse rule as exclusions."""
        refs = {r.id for r in rows}
        started = {}
        for f in self.fixed:
            started.setdefault(f.ref, (f.start, f.shift))
        nurse_of = {v.id: v.nurse or v.id for v in self.vehicles}
        out, links = [], [d for d in self.dependencies if d.first in refs and d.then in refs]
        for row in rows:
            for d in self.dependencies:
                if d.then != row.id or d.first not in started:
                    continue
                t, shift = started[d.first]
                lo, hi = t + d.min_gap_s, t + (d.max_gap_s if d.max_gap_s is not None else OPEN_LATE_S)
                cut = [(max(a, lo), min(b, hi)) for a, b in row.windows.tolist() if max(a, lo) <= min(b, hi)]
                cap = row.max_late_s if cut and cut[-1][1] == int(row.windows[-1, 1]) else 0
                excluded = row.excluded
                if d.nurse == "different":
                    excluded = excluded | {nurse_of[shift]}
                elif d.nurse == "same":
                    excluded = excluded | {n for s, n in nurse_of.items() if s != shift}
                row = row._replace(windows=np.array(cut or [(lo, lo)], dtype=np.int64), max_late_s=cap,
                                   excluded=excluded)
            out.append(row)
        return out, links

    def with_routes(self, rem: Remaining, routes: list[list[int]]) -> LiveNight:
        """The night whose nurses' remaining stops follow ``routes`` (node lists of ``rem``)."""
        refs = rem.ref_routes(routes)
        return dataclasses.replace(self, nurses=tuple(n._replace(remaining=r) for n, r in zip(self.nurses, refs)))

    def advance(self, now: int, travel: TravelProvider, rem: Remaining | None = None) -> LiveNight:
        """The night at second ``now`` if the rest runs as timed: stops that started by then
        become fixed; a nurse between two stops is placed on the road (coordinates interpolated
        by elapsed driving time) and is free at ``now``."""
        if now < self.now:
            clock = self.scenario.clock
            raise AcuteInputError(f"time goes back: {clock.label(now)} is before the state's {clock.label(self.now)}")
        rem = rem or self.remaining(travel)
        sched = rem.schedule()
        nurses: list[Nurse] = []
        fixed = list(self.fixed)
        for v, n in enumerate(self.nurses):
            stops = sched.stops[v]
            k = 0
            lat, lon, free = n.lat, n.lon, n.free_at
            while k < len(stops) and stops[k].start <= now:
                st = stops[k]
                fixed.append(Fixed(self.vehicles[v].id, n.remaining[k], st.arrival, st.start, st.end, st.distance_m))
                lat, lon, free = float(rem.night.node_lat[st.node]), float(rem.night.node_lon[st.node]), st.end
                k += 1
            if k < len(stops) and free <= now:
                st = stops[k]
                depart = st.arrival - st.travel_s
                if now >= st.arrival:  # waiting at the door
                    lat, lon = float(rem.night.node_lat[st.node]), float(rem.night.node_lon[st.node])
                elif now > depart and st.travel_s > 0:  # on the road
                    f = (now - depart) / st.travel_s
                    lat = lat + f * (float(rem.night.node_lat[st.node]) - lat)
                    lon = lon + f * (float(rem.night.node_lon[st.node]) - lon)
                free = now
            elif free < now:
                free = now
            left = tuple(b for b in n.breaks if b[2] >= n.free_at)
            begun = [b for b in (sched.breaks[v] if sched.breaks else ()) if b.start <= now]
            for b in begun:  # breaks begun by now are taken; she is free when the last one ends
                fixed.append(Fixed(self.vehicles[v].id, BREAK, b.start, b.start, b.end, 0))
                free = max(free, b.end)
            if n.off:
                nurses.append(n)
                continue
            nurses.append(Nurse(lat, lon, max(free, n.free_at), n.remaining[k:], left[len(begun):]))
        return dataclasses.replace(self, nurses=tuple(nurses), fixed=tuple(fixed), now=now)

    def delayed(self, shift: str, t: int, minutes: float, ref: str | None = None) -> LiveNight:
        """At second ``t`` nurse ``shift`` reports she is ``minutes`` late: the stop she is at
        (``ref``, if it is under way) ends that much later, else she is free that much later;
        her remaining stops are timed from then."""
        v = self.vehicle(shift)
        n = self.nurses[v]
        if n.off:
            raise AcuteInputError(f"delayed: nurse {shift[:64]!r} is off for the rest of the night")
        extra = int(round(minutes * 60))
        fixed = list(self.fixed)
        free = max(n.free_at, t)
        if ref is not None:
            cur = next((f for f in fixed if f.shift == shift and f.ref == ref and f.end > t), None)
            if cur is None and ref not in n.remaining:
                raise AcuteInputError(f"delayed: {ref[:64]!r} is neither under way nor to come for {shift[:64]!r}")
            if cur is not None:  # the care takes longer
                fixed[fixed.index(cur)] = cur._replace(end=cur.end + extra)
                free = max(free, cur.end)
        nurses = list(self.nurses)
        nurses[v] = n._replace(free_at=free + extra)
        return dataclasses.replace(self, nurses=tuple(nurses), fixed=tuple(fixed), now=t)

    def unavailable(self, shift: str, t: int, travel: TravelProvider) -> LiveNight:
        """At second ``t`` nurse ``shift`` drops out for the rest of the night (a breakdown,
        illness). What she had still to do goes to the others where our insertion fits it
        (late if it must be: the dispatcher sees how late); what it cannot place stays in
        :attr:`unrouted`. Both copies of a two-nurse visit go back together."""
        v = self.vehicle(shift)
        n = self.nurses[v]
        if n.off:
            return dataclasses.replace(self, now=t)
        mine = set(n.remaining)
        pairs = {r for r in mine if self.tasks[r].copies == 2}
        nurses = [x._replace(remaining=tuple(r for r in x.remaining if r not in pairs)) if k != v
                  else x._replace(remaining=(), off=True, breaks=(), free_at=max(x.free_at, t))
                  for k, x in enumerate(self.nurses)]
        left = tuple(dict.fromkeys([*self.unrouted, *n.remaining]))
        night = dataclasses.replace(self, nurses=tuple(nurses), unrouted=left, now=t)
        return night.route_unrouted(travel)

    def route_unrouted(self, travel: TravelProvider) -> LiveNight:
        """The night with :attr:`unrouted` tasks put on the routes where our deterministic
        insertion fits them; the rest stay unrouted."""
        if not self.unrouted:
            return self
        rem = self.remaining(travel)
        p = rem.problem
        starts = rem.schedule().start_of()
        waiting = [p.task_ids.index(r) for r in self.unrouted]
        routes = repair_routes(p, rem.routes, starts, only=waiting)
        placed = {p.task_ids[int(p.node_task[x])] for r in routes for x in r}
        night = self.with_routes(rem, routes)
        return dataclasses.replace(night, unrouted=tuple(r for r in self.unrouted if r not in placed))

    # ------------------------------------------------------------------ events
    def started(self, ref: str, shift: str | None, t: int, what: str = "event") -> LiveNight:
        """``ref`` started at second ``t`` (by ``shift``, default whoever has it)."""
        return self._event("started", ref, shift, t, what)

    def done(self, ref: str, shift: str | None, t: int, what: str = "event") -> LiveNight:
        """``ref`` ended at second ``t``."""
        return self._event("done", ref, shift, t, what)

    def _event(self, kind: str, ref: str, shift: str | None, t: int, what: str) -> LiveNight:
        if ref not in self.tasks:
            raise AcuteInputError(f"{what}: unknown visit or call {ref[:64]!r}")
        row = self.tasks[ref]
        holders = [self.vehicles[v].id for v, n in enumerate(self.nurses) if ref in n.remaining]
        holders += [f.shift for f in self.fixed if f.ref == ref and f.shift not in holders]
        if shift is not None and shift not in holders:
            raise AcuteInputError(f"{what}: {ref!r} is not on the route of {shift!r}")
        if not holders:
            raise AcuteInputError(f"{what}: {ref!r} is on no nurse's route")
        nurses = list(self.nurses)
        fixed = list(self.fixed)
        source = dict(self.source)
        for v, n in enumerate(nurses):
            sid = self.vehicles[v].id
            if sid not in holders:
                continue
            old = next((f for f in fixed if f.shift == sid and f.ref == ref), None)
            if old is not None and source.get((sid, ref)) == "event" and old.end <= t and kind == "started":
                raise AcuteInputError(f"{what}: {ref!r} was already reported done by {sid!r}")
            if kind == "started":
                start, end = t, t + row.service_s
            else:
                start = old.start if old is not None else t - row.service_s
                end = t
            rec = Fixed(sid, ref, min(start, old.arrival) if old else start, start, end, old.distance_m if old else 0)
            if old is not None:
                fixed[fixed.index(old)] = rec
            else:
                fixed.append(rec)
            source[(sid, ref)] = "event"
            nurses[v] = Nurse(row.lat, row.lon, max(end, t), tuple(r for r in n.remaining if r != ref), n.breaks)
        return dataclasses.replace(self, nurses=tuple(nurses), fixed=tuple(fixed), source=source, now=t)


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
    try:
        res = solve(p, params, initial=routes)
    except SolverError as e:  # OR-Tools took nothing from the warm start: keep the routes
        info["search_failed"] = str(e)
        return routes, info
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
