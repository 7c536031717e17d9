"""The night state: the plan plus what has happened (events), as of a second of the night.

A :class:`NightState` is self-contained JSON (scenario without key-safe codes, accepted
calls, fixed stops, each nurse's position and remaining stops) so the nightly batch and a
dispatcher tool can share it. Functions return new states; the input is never mutated.

Stops without an event are assumed to go as timed: once their (re-timed) start has passed
they count as started (``source="plan"``). An event corrects that: ``started`` fixes the
start, ``done`` the end. An event on a two-nurse visit applies to both of its nurses.
Times at the edges are aware datetimes or ``HH:MM``; inside, integer seconds of the night.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer

from ..exceptions import InputError
from ..model import Id, NightTime, Scenario
from ..nighttime import NightTimeError, check_time_text
from ..plan import Plan
from ..problem import compile_scenario
from ..travel import TravelProvider, provider_for
from .calls import AcuteCall
from .replan import FixedStop, LiveNurse, TaskSpec, acute_late_cost, advance, build_remaining


class AcuteInputError(InputError):
    """An acute call, event or time that cannot be used (the message names it)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(_Frozen):
    """Something that happened: a nurse started or finished a stop (visit id or call id)."""

    kind: Literal["started", "done"]
    ref: Id = Field(description="Visit id or acute call id")
    shift: Id | None = Field(default=None, description="The nurse's shift id (default: whoever has the stop)")
    at: NightTime


class StopRecord(_Frozen):
    """A stop that has started (``in_progress``) or ended (``done``); never moved again."""

    shift: str
    ref: str
    kind: Literal["visit", "acute"]
    status: Literal["in_progress", "done"]
    source: Literal["plan", "event"] = Field(description="Assumed from the plan, or reported")
    arrival: _dt.datetime
    start: _dt.datetime
    end: _dt.datetime
    distance_km: float = 0.0


class NurseState(_Frozen):
    """Where a nurse is free, from when, and her remaining stops in order."""

    shift: str
    lat: float
    lon: float
    free_at: _dt.datetime
    remaining: list[str]


class NightState(_Frozen):
    """The night as of ``as_of``."""

    scenario: Scenario
    as_of: _dt.datetime
    nurses: list[NurseState]
    fixed: list[StopRecord] = Field(default_factory=list)
    calls: list[AcuteCall] = Field(default_factory=list, description="Accepted calls served by the team")
    backup_calls: list[str] = Field(default_factory=list, description="Calls handed to the back-up team")
    events: list[Event] = Field(default_factory=list)

    @field_serializer("scenario")
    def _no_secrets(self, s: Scenario) -> dict[str, Any]:
        return json.loads(s.to_json(indent=None))

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str) -> NightState:
        return cls.model_validate_json(text)

    def nurse(self, shift: str) -> NurseState:
        for n in self.nurses:
            if n.shift == shift:
                return n
        raise AcuteInputError(f"unknown nurse (shift) {shift!r}")

    def summary(self) -> str:
        clock = self.scenario.clock
        lines = [f"Night state as of {clock.label(clock.datetime_to_seconds(self.as_of))}"]
        for n in self.nurses:
            cur = [r for r in self.fixed if r.shift == n.shift and r.status == "in_progress"]
            doing = f"busy with {cur[-1].ref} until {cur[-1].end:%H:%M}" if cur else f"free at {n.free_at:%H:%M}"
            lines.append(f"  {n.shift}: {doing}, {len(n.remaining)} stops to go")
        return "\n".join(lines)


# --------------------------------------------------------------------------- live conversion
class LiveNight:
    """Integer view of a state: task specs, live nurses, fixed stops (seconds)."""

    def __init__(self, scenario: Scenario, specs: dict[str, TaskSpec], nurses: list[LiveNurse],
                 fixed: list[FixedStop], fixed_source: dict[tuple[str, str], str], now: int):
        self.scenario, self.specs, self.nurses, self.fixed = scenario, specs, nurses, fixed
        self.fixed_source, self.now = fixed_source, now


#: Recently compiled scenarios (kept referenced, so an id is not reused while cached).
_SPEC_CACHE: dict[int, tuple[Scenario, dict[str, TaskSpec]]] = {}


def visit_specs(scenario: Scenario) -> dict[str, TaskSpec]:
    """A :class:`TaskSpec` per planned visit of ``scenario`` (cached for the last few scenarios)."""
    hit = _SPEC_CACHE.get(id(scenario))
    if hit is not None and hit[0] is scenario:
        return dict(hit[1])
    specs = _visit_specs(scenario)
    if len(_SPEC_CACHE) >= 8:
        _SPEC_CACHE.pop(next(iter(_SPEC_CACHE)))
    _SPEC_CACHE[id(scenario)] = (scenario, specs)
    return dict(specs)


def _visit_specs(scenario: Scenario) -> dict[str, TaskSpec]:
    p = compile_scenario(scenario).problem
    clients = {c.id: c for c in scenario.clients}
    out = {}
    for t, v in enumerate(scenario.visits):
        n0 = p.task_nodes[t][0]
        loc = clients[v.client].location
        out[v.id] = TaskSpec(v.id, "visit", loc.lat, loc.lon, int(p.service[n0]), p.windows[n0],
                             int(p.max_late[n0]), int(p.late_cost[n0]), int(p.required_level[n0]),
                             len(p.task_nodes[t]), int(p.task_penalty[t]), bool(p.task_mandatory[t]))
    return out


def call_spec(call: AcuteCall, received_s: int, night_end: int) -> TaskSpec:
    """The task of an acute call received at ``received_s``: start window up to its norm."""
    w = np.array([[received_s, received_s + call.norm_s]], dtype=np.int64)
    return TaskSpec(call.id, "acute", call.location.lat, call.location.lon, call.service_s, w,
                    max(0, night_end - received_s), acute_late_cost(), call.qualification, call.nurses,
                    10**12, True, received_s, call.norm_s)


def received_seconds(scenario: Scenario, call: AcuteCall, now: int) -> int:
    return now if call.received is None else scenario.clock.to_seconds(call.received)


def initial_state(scenario: Scenario, plan: Plan) -> NightState:
    """The state before anything happened: every nurse at her start place, the plan's routes."""
    shifts = {s.id: s for s in scenario.shifts}
    visits = {v.id for v in scenario.visits}
    clock = scenario.clock
    nurses = []
    for r in plan.routes:
        sh = shifts.get(r.shift_id)
        if sh is None:
            raise AcuteInputError(f"plan route for unknown shift {r.shift_id!r}: plan and scenario do not match")
        refs = [s.visit_id for s in r.visits]
        bad = [x for x in refs if x not in visits]
        if bad:
            raise AcuteInputError(f"plan has visit {bad[0]!r} that is not in the scenario")
        nurses.append(NurseState(shift=sh.id, lat=sh.start_location.lat, lon=sh.start_location.lon,
                                 free_at=clock.to_datetime(clock.to_seconds(sh.start_time)), remaining=refs))
    first = min(clock.to_seconds(s.start_time) for s in scenario.shifts)
    return NightState(scenario=scenario, as_of=clock.to_datetime(first), nurses=nurses)


def to_live(state: NightState, travel: TravelProvider | None = None,
            specs: dict[str, TaskSpec] | None = None) -> LiveNight:
    """The integer view of ``state`` (compiles the scenario unless ``specs`` are given)."""
    sc = state.scenario
    clock = sc.clock
    specs = dict(specs or visit_specs(sc))
    night_end = max(clock.to_seconds(s.end_time) for s in sc.shifts)
    for c in state.calls:
        specs[c.id] = call_spec(c, received_seconds(sc, c, clock.datetime_to_seconds(state.as_of)), night_end)
    shifts = {s.id: s for s in sc.shifts}
    nurses = []
    for n in state.nurses:
        sh = shifts[n.shift]
        nurses.append(LiveNurse(n.shift, sh.qualification, n.lat, n.lon, clock.datetime_to_seconds(n.free_at),
                                clock.to_seconds(sh.end_time), sh.end_point.lat, sh.end_point.lon,
                                int(round(sh.cost_per_km_eur / 1000.0 * 1e6)), list(n.remaining)))
    fixed = [FixedStop(r.shift, r.ref, clock.datetime_to_seconds(r.arrival), clock.datetime_to_seconds(r.start),
                       clock.datetime_to_seconds(r.end), int(round(r.distance_km * 1000))) for r in state.fixed]
    source = {(r.shift, r.ref): r.source for r in state.fixed}
    return LiveNight(sc, specs, nurses, fixed, source, clock.datetime_to_seconds(state.as_of))


def from_live(state: NightState, live: LiveNight, **update: Any) -> NightState:
    """A new state from ``live`` (``update``: other fields, e.g. calls)."""
    clock = state.scenario.clock
    nurses = [NurseState(shift=n.shift, lat=n.lat, lon=n.lon, free_at=clock.to_datetime(n.free_at),
                         remaining=list(n.remaining)) for n in live.nurses]
    fixed = [StopRecord(shift=f.shift, ref=f.ref, kind=live.specs[f.ref].kind,
                        status="done" if f.end <= live.now else "in_progress",
                        source=live.fixed_source.get((f.shift, f.ref), "plan"),
                        arrival=clock.to_datetime(f.arrival), start=clock.to_datetime(f.start),
                        end=clock.to_datetime(f.end), distance_km=f.distance_m / 1000) for f in live.fixed]
    return state.model_copy(update={"as_of": clock.to_datetime(live.now), "nurses": nurses, "fixed": fixed,
                                    **update})


def advance_live(live: LiveNight, now: int, travel: TravelProvider) -> LiveNight:
    """``live`` moved to second ``now`` following its own timing (a new object)."""
    if now < live.now:
        raise AcuteInputError(f"time goes back: {live.scenario.clock.label(now)} is before the state's "
                              f"{live.scenario.clock.label(live.now)}")
    rem = build_remaining(live.nurses, live.specs, travel)
    nurses, started = advance(live.nurses, rem, now)
    return LiveNight(live.scenario, live.specs, nurses, live.fixed + started, dict(live.fixed_source), now)


def advance_state(state: NightState, now: str | int, travel: TravelProvider | None = None) -> NightState:
    """The state at ``now`` (``HH:MM``, ISO or seconds) assuming stops go as timed."""
    travel = travel or provider_for(state.scenario.travel, cache=False)
    t = _seconds(state.scenario, now, "now")
    _check_in_night(state.scenario, t, "now")
    live = advance_live(to_live(state, travel), t, travel)
    return from_live(state, live)


def _seconds(scenario: Scenario, value: str | int, what: str) -> int:
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        return scenario.clock.to_seconds(check_time_text(str(value)))
    except NightTimeError as e:
        raise AcuteInputError(f"{what}: {e}") from None


def _check_in_night(scenario: Scenario, t: int, what: str) -> None:
    clock = scenario.clock
    a = min(clock.to_seconds(s.start_time) for s in scenario.shifts)
    b = max(clock.to_seconds(s.end_time) for s in scenario.shifts)
    if not a <= t <= b:
        raise AcuteInputError(f"{what} {clock.label(t)} is outside the night "
                              f"({clock.label(a)}-{clock.label(b)} on {scenario.date})")


def apply_events(state: NightState, events: list[Event] | list[dict[str, Any]],
                 travel: TravelProvider | None = None) -> NightState:
    """A new state with ``events`` applied in order (they must not go back in time)."""
    sc = state.scenario
    travel = travel or provider_for(sc.travel, cache=False)
    evs = [e if isinstance(e, Event) else Event.model_validate(e) for e in events]
    live = to_live(state, travel)
    known = {n.shift for n in live.nurses}
    for i, e in enumerate(evs):
        t = _seconds(sc, e.at, f"event {i}")
        _check_in_night(sc, t, f"event {i} ({e.kind} {e.ref}) at")
        if t < live.now:
            raise AcuteInputError(f"event {i} ({e.kind} {e.ref}) at {sc.clock.label(t)} is out of order: "
                                  f"the state is already at {sc.clock.label(live.now)}")
        if e.shift is not None and e.shift not in known:
            raise AcuteInputError(f"event {i}: unknown nurse (shift) {e.shift!r}")
        if e.ref not in live.specs:
            raise AcuteInputError(f"event {i}: unknown visit or call {e.ref!r}")
        live = advance_live(live, t, travel)
        live = _apply_one(live, e, t, i)
    return from_live(state, live, events=[*state.events, *evs])


def _apply_one(live: LiveNight, e: Event, t: int, i: int) -> LiveNight:
    spec = live.specs[e.ref]
    holders = [n.shift for n in live.nurses if e.ref in n.remaining]
    holders += [f.shift for f in live.fixed if f.ref == e.ref and f.shift not in holders]
    if e.shift is not None and e.shift not in holders:
        raise AcuteInputError(f"event {i}: {e.ref!r} is not on the route of {e.shift!r}")
    if not holders:
        raise AcuteInputError(f"event {i}: {e.ref!r} is on no nurse's route")
    nurses = [n for n in live.nurses]
    fixed = list(live.fixed)
    source = dict(live.fixed_source)
    for k, n in enumerate(nurses):
        if n.shift not in holders:
            continue
        old = next((f for f in fixed if f.shift == n.shift and f.ref == e.ref), None)
        if old is not None and source.get((n.shift, e.ref)) == "event" and old.end <= t and e.kind == "started":
            raise AcuteInputError(f"event {i}: {e.ref!r} was already reported done by {n.shift!r}")
        if e.kind == "started":
            start, end = t, t + spec.service_s
        else:
            start = old.start if old is not None else t - spec.service_s
            end = t
        rec = FixedStop(n.shift, e.ref, min(start, old.arrival) if old else start, start, end,
                        old.distance_m if old else 0)
        if old is not None:
            fixed[fixed.index(old)] = rec
        else:
            fixed.append(rec)
        source[(n.shift, e.ref)] = "event"
        nurses[k] = LiveNurse(n.shift, n.level, spec.lat, spec.lon, max(end, t), n.shift_end, n.end_lat,
                              n.end_lon, n.cost_per_m, [r for r in n.remaining if r != e.ref])
    return LiveNight(live.scenario, live.specs, nurses, fixed, source, t)
