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

import dataclasses
import datetime as _dt
import json
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_serializer, model_validator

from ..base import Frozen as _Frozen
from ..model import Id, NightTime, Scenario
from ..nighttime import NightTimeError, check_time_text
from ..plan import Plan
from ..travel import TravelProvider, provider_for
from .calls import AcuteCall
from .live import BREAK, AcuteInputError, Fixed, LiveNight, Nurse


class Event(_Frozen):
    """Something that happened: a nurse started or finished a stop (visit id or call id), is
    running late (``delayed``, by ``minutes``: the stop ``ref`` under way takes longer, or she is
    held up on the way), or is off for the rest of the night (``unavailable``)."""

    kind: Literal["started", "done", "delayed", "unavailable"]
    ref: Id | None = Field(default=None, description="Visit id or acute call id (started, done; delayed: "
                                                     "the stop that takes longer)")
    shift: Id | None = Field(default=None, description="The nurse's shift id (default: whoever has the stop; "
                                                       "required for unavailable, and for delayed without ref)")
    at: NightTime
    minutes: float | None = Field(default=None, gt=0, le=600, description="delayed: how many minutes later")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Event:
        if self.kind in ("started", "done") and self.ref is None:
            raise ValueError(f"a {self.kind} event needs ref (the visit or call id)")
        if self.kind == "delayed" and self.minutes is None:
            raise ValueError("a delayed event needs minutes (> 0)")
        if self.kind == "delayed" and self.ref is None and self.shift is None:
            raise ValueError("a delayed event needs shift (the nurse) or ref (her stop)")
        if self.kind == "unavailable" and self.shift is None:
            raise ValueError("an unavailable event needs shift (the nurse who drops out)")
        if self.kind != "delayed" and self.minutes is not None:
            raise ValueError(f"minutes belongs to delayed events, not to {self.kind}")
        return self


class StopRecord(_Frozen):
    """A stop that has started (``in_progress``) or ended (``done``); never moved again."""

    shift: str
    ref: str
    kind: Literal["visit", "acute", "break"]
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
    available: bool = Field(default=True, description="False once she is off for the rest of the night")


class NightState(_Frozen):
    """The night as of ``as_of``."""

    scenario: Scenario
    as_of: _dt.datetime
    nurses: list[NurseState]
    fixed: list[StopRecord] = Field(default_factory=list)
    calls: list[AcuteCall] = Field(default_factory=list, description="Accepted calls served by the team")
    backup_calls: list[str] = Field(default_factory=list, description="Calls handed to the back-up team")
    events: list[Event] = Field(default_factory=list)
    unrouted: list[str] = Field(default_factory=list, description="Visits and calls to serve that no nurse has "
                                                                  "(left by a nurse who went off and placed nowhere)")

    @field_serializer("scenario")
    def _no_secrets(self, s: Scenario) -> dict[str, Any]:
        # neither key-safe codes nor access notes (a code may be typed into a note): a state
        # file goes to dispatch tools, not to the nurse at the door
        data = json.loads(s.to_json(indent=None))
        for c in data.get("clients", []):
            c.pop("access_note", None)
        return data

    def nurse(self, shift: str) -> NurseState:
        for n in self.nurses:
            if n.shift == shift:
                return n
        raise AcuteInputError(f"unknown nurse (shift) {shift[:64]!r}")

    def summary(self) -> str:
        clock = self.scenario.clock
        lines = [f"Night state as of {clock.label(clock.datetime_to_seconds(self.as_of))}"]
        for n in self.nurses:
            cur = [r for r in self.fixed if r.shift == n.shift and r.status == "in_progress"]
            doing = f"busy with {cur[-1].ref} until {cur[-1].end:%H:%M}" if cur else f"free at {n.free_at:%H:%M}"
            if not n.available:
                lines.append(f"  {n.shift}: off for the rest of the night")
                continue
            lines.append(f"  {n.shift}: {doing}, {len(n.remaining)} stops to go")
        if self.unrouted:
            lines.append(f"  on no route: {', '.join(self.unrouted)}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the edges: JSON <-> integers
def initial_state(scenario: Scenario, plan: Plan) -> NightState:
    """The state before anything happened: every nurse at her start place, the plan's routes."""
    return from_live(None, LiveNight.of_plan(scenario, plan))


def to_live(state: NightState) -> LiveNight:
    """The integer night of ``state`` (clock times become seconds here, and only here)."""
    sc = state.scenario
    clock = sc.clock
    live = LiveNight.of_scenario(sc)
    as_of = clock.datetime_to_seconds(state.as_of)
    for c in state.calls:
        live = live.with_call(c, received_seconds(sc, c, as_of))
    by_shift = {n.shift: n for n in state.nurses}
    unknown = [s for s in by_shift if s not in {v.id for v in live.vehicles}]
    if unknown:
        raise AcuteInputError(f"state names unknown nurse (shift) {unknown[0][:64]!r}")
    nurses = []
    for v, n0 in zip(live.vehicles, live.nurses):
        n = by_shift.get(v.id)
        taken = sum(1 for r in state.fixed if r.shift == v.id and r.kind == "break")
        nurses.append(n0._replace(breaks=n0.breaks[taken:]) if n is None else
                      Nurse(n.lat, n.lon, clock.datetime_to_seconds(n.free_at), tuple(n.remaining),
                            () if not n.available else n0.breaks[taken:], not n.available))
    fixed = tuple(Fixed(r.shift, r.ref, clock.datetime_to_seconds(r.arrival), clock.datetime_to_seconds(r.start),
                        clock.datetime_to_seconds(r.end), int(round(r.distance_km * 1000))) for r in state.fixed)
    source = {(r.shift, r.ref): r.source for r in state.fixed}
    return dataclasses.replace(live, nurses=tuple(nurses), fixed=fixed, source=source, now=as_of,
                               unrouted=tuple(state.unrouted))


def from_live(state: NightState | None, live: LiveNight, **update: Any) -> NightState:
    """The JSON state of ``live`` (seconds become clock times here); ``update``: other fields."""
    clock = live.scenario.clock
    nurses = [NurseState(shift=v.id, lat=n.lat, lon=n.lon, free_at=clock.to_datetime(n.free_at),
                         remaining=list(n.remaining), available=not n.off) for v, n in zip(live.vehicles, live.nurses)]
    fixed = [StopRecord(shift=f.shift, ref=f.ref, kind="break" if f.ref == BREAK else live.kinds.get(f.ref, "visit"),
                        status="done" if f.end <= live.now else "in_progress",
                        source=live.source.get((f.shift, f.ref), "plan"),
                        arrival=clock.to_datetime(f.arrival), start=clock.to_datetime(f.start),
                        end=clock.to_datetime(f.end), distance_km=f.distance_m / 1000) for f in live.fixed]
    fields = {"as_of": clock.to_datetime(live.now), "nurses": nurses, "fixed": fixed,
              "unrouted": list(live.unrouted), **update}
    if state is None:
        return NightState(scenario=live.scenario, **fields)
    return state.model_copy(update=fields)


def _holder(live: LiveNight, ref: str, what: str) -> str:
    """The shift of the nurse who has ``ref`` under way or still to do."""
    for f in reversed(live.fixed):
        if f.ref == ref and f.end > live.now:
            return f.shift
    for v, n in zip(live.vehicles, live.nurses):
        if ref in n.remaining:
            return v.id
    raise AcuteInputError(f"{what}: {ref[:64]!r} is neither under way nor to come for any nurse; name the shift")


def received_seconds(scenario: Scenario, call: AcuteCall, now: int) -> int:
    """When ``call`` came in (seconds): its ``received`` time, else ``now``."""
    return now if call.received is None else seconds(scenario, call.received, f"call {call.id!r} received")


def seconds(scenario: Scenario, value: str | int, what: str) -> int:
    """``value`` (``HH:MM``, ISO or seconds) as seconds of the night (:class:`AcuteInputError`)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        return scenario.clock.to_seconds(check_time_text(str(value)))
    except (NightTimeError, OverflowError, ValueError) as e:
        raise AcuteInputError(f"{what}: {str(e)[:200]}") from None


def check_in_night(live: LiveNight, t: int, what: str) -> None:
    """:class:`AcuteInputError` unless second ``t`` lies within the night's shifts."""
    a, b = live.night_start, live.night_end
    if not a <= t <= b:
        clock = live.scenario.clock
        raise AcuteInputError(f"{what} {clock.label(t)} is outside the night "
                              f"({clock.label(a)}-{clock.label(b)} on {live.scenario.date})")


def advance_state(state: NightState, now: str | int, travel: TravelProvider | None = None) -> NightState:
    """The state at ``now`` (``HH:MM``, ISO or seconds) assuming stops go as timed."""
    travel = travel or provider_for(state.scenario.travel, cache=False)
    live = to_live(state)
    t = seconds(state.scenario, now, "now")
    check_in_night(live, t, "now")
    return from_live(state, live.advance(t, travel))


def apply_events(state: NightState, events: list[Event] | list[dict[str, Any]],
                 travel: TravelProvider | None = None) -> NightState:
    """A new state with ``events`` applied in order (they must not go back in time)."""
    sc = state.scenario
    travel = travel or provider_for(sc.travel, cache=False)
    evs = [e if isinstance(e, Event) else Event.model_validate(e) for e in events]
    live = to_live(state)
    known = {v.id for v in live.vehicles}
    for i, e in enumerate(evs):
        t = seconds(sc, e.at, f"event {i}")
        check_in_night(live, t, f"event {i} ({e.kind} {e.ref or e.shift}) at")
        if t < live.now:
            raise AcuteInputError(f"event {i} ({e.kind} {e.ref or e.shift}) at {sc.clock.label(t)} is out of order: "
                                  f"the state is already at {sc.clock.label(live.now)}")
        if e.shift is not None and e.shift not in known:
            raise AcuteInputError(f"event {i}: unknown nurse (shift) {e.shift!r}")
        if e.ref is not None and e.ref not in live.tasks:
            raise AcuteInputError(f"event {i}: unknown visit or call {e.ref!r}")
        live = live.advance(t, travel)
        if e.kind == "unavailable":
            live = live.unavailable(str(e.shift), t, travel)
        elif e.kind == "delayed":
            shift = e.shift if e.shift is not None else _holder(live, str(e.ref), f"event {i}")
            live = live.delayed(shift, t, float(e.minutes or 0), e.ref)
        else:
            live = (live.started if e.kind == "started" else live.done)(str(e.ref), e.shift, t, f"event {i}")
    return from_live(state, live, events=[*state.events, *evs])
