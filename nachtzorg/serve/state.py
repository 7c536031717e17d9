"""The night's state, derived from its log: one function, :func:`derive`, for every reader.

The log holds entries ``(seq, kind, payload)``:

============== ==========================================================================
kind           payload
============== ==========================================================================
plan_published ``{"plan": Plan JSON}`` (first entry; the night has no state before it)
started, done  the library's :class:`~nachtzorg.acute.Event` (``ref``, ``shift``, ``at``)
delayed        ``{"ref", "shift", "at", "minutes"}``: a stop takes longer / a nurse is held up
unavailable    ``{"shift", "at"}``: a nurse drops out from ``at`` on
call_received  ``{"call": AcuteCall JSON with "received", "now"}``
call_assigned  ``{"call_id", "shifts", "after_stops", "now"}``: the dispatcher's choice (applied
               no earlier than the call was received)
replan_applied ``{"call_id", "based_on", "remaining": {shift: [refs]}}``: a re-optimised rest
============== ==========================================================================

Every event kind the library's :class:`~nachtzorg.acute.Event` accepts is handed to
:func:`~nachtzorg.acute.apply_events`; kinds it does not know yet (``delayed`` and
``unavailable`` today) stay in the log and are listed in :attr:`Derived.pending`, so they take
effect as soon as the library supports them, on every night, by replay.

An event reported with a time before the state's (a phone that was out of reach while a call
was dispatched) is applied at the state's time: the log keeps what was reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, get_args

from ..acute import AcuteCall, AcuteInputError, Event, NightState, apply_events, dispatch, initial_state
from ..model import Scenario
from ..plan import Plan

#: Event kinds the service accepts from people (the library applies those it knows).
EVENT_KINDS = ("started", "done", "delayed", "unavailable")
LOG_KINDS = ("plan_published", *EVENT_KINDS, "call_received", "call_assigned", "replan_applied")


def library_event_kinds() -> frozenset[str]:
    """The ``kind`` values :class:`nachtzorg.acute.Event` accepts (read from its model)."""
    return frozenset(get_args(Event.model_fields["kind"].annotation))


@dataclass(frozen=True)
class Entry:
    """One log entry, as stored."""

    seq: int
    kind: str
    payload: dict[str, Any]


@dataclass
class Derived:
    """What the log says up to ``seq``: the state (None before a plan), calls, choices."""

    seq: int = 0
    plan: Plan | None = None
    state: NightState | None = None
    calls: dict[str, AcuteCall] = field(default_factory=dict)
    call_now: dict[str, str] = field(default_factory=dict)
    assigned: dict[str, list[str]] = field(default_factory=dict)
    pending: list[Entry] = field(default_factory=list)

    def copy(self) -> Derived:
        return Derived(self.seq, self.plan, self.state, dict(self.calls), dict(self.call_now),
                       dict(self.assigned), list(self.pending))


def _not_before(state: NightState, at: str) -> str:
    """``at`` or, if it lies inside the night but before the state's time, the state's time
    (ISO). A time outside the night is left for the library to refuse."""
    sc = state.scenario
    clock = sc.clock
    try:
        t = clock.to_seconds(at)
    except Exception:  # noqa: BLE001 - let the library word the error
        return at
    now = clock.datetime_to_seconds(state.as_of)
    night_start = min(clock.to_seconds(s.start_time) for s in sc.shifts)
    return at if t >= now or t < night_start else state.as_of.isoformat()


def later(scenario: Scenario, a: str, b: str) -> str:
    """The later of two times of night (``a`` if either cannot be read)."""
    try:
        return a if scenario.clock.to_seconds(a) >= scenario.clock.to_seconds(b) else b
    except Exception:  # noqa: BLE001 - let the library word the error
        return a


def assign_time(d: Derived, call_id: str, now: str) -> str:
    """When an assignment takes effect: ``now``, but not before the call was received nor
    before the night's last event."""
    return _not_before(d.state, later(d.state.scenario, now, d.call_now[call_id]))


def derive(scenario: Scenario, entries: Iterable[Entry], *, since: Derived | None = None) -> Derived:
    """The night after ``entries`` (those with ``seq`` above ``since.seq`` are applied to ``since``).

    Raises :class:`~nachtzorg.exceptions.InputError` when an entry cannot be applied; the
    service checks each entry this way before it stores it, so a stored log always replays.
    """
    d = since.copy() if since is not None else Derived()
    known = library_event_kinds()
    for e in entries:
        if e.seq <= d.seq:
            continue
        d = _apply(scenario, d, e, known)
        d.seq = e.seq
    return d


def _apply(scenario: Scenario, d: Derived, e: Entry, known: frozenset[str]) -> Derived:
    p = e.payload
    if e.kind == "plan_published":
        if d.plan is not None:
            raise AcuteInputError("this night already has a published plan")
        d.plan = Plan.model_validate(p["plan"])
        d.state = initial_state(scenario, d.plan)
        return d
    if d.state is None:
        raise AcuteInputError("the night has no published plan yet")
    if e.kind in EVENT_KINDS:
        if e.kind in known:
            ev = {k: v for k, v in p.items() if v is not None}
            ev["at"] = _not_before(d.state, ev["at"])
            d.state = apply_events(d.state, [Event.model_validate(ev)])
        else:
            d.pending.append(e)
        return d
    if e.kind == "call_received":
        call = AcuteCall.model_validate(p["call"])
        if call.id in d.calls or call.id in {v.id for v in scenario.visits}:
            raise AcuteInputError(f"call id {call.id!r} is already used in this night")
        d.calls[call.id] = call
        d.call_now[call.id] = p["now"]
        return d
    if e.kind == "call_assigned":
        call = d.calls.get(p["call_id"])
        if call is None:
            raise AcuteInputError(f"unknown call {p['call_id']!r} in this night")
        if call.id in d.assigned:
            raise AcuteInputError(f"call {call.id!r} is already assigned")
        now = assign_time(d, call.id, p["now"])
        dec = dispatch(d.state, call, now, policy="least_disruption",
                       choose=(list(p["shifts"]), list(p["after_stops"])))
        d.state = dec.state
        d.assigned[call.id] = list(p["shifts"])
        return d
    if e.kind == "replan_applied":
        remaining = p["remaining"]
        have = sorted(r for n in d.state.nurses for r in n.remaining)
        new = sorted(r for refs in remaining.values() for r in refs)
        if have != new or set(remaining) - {n.shift for n in d.state.nurses}:
            raise AcuteInputError("the re-plan does not hold the night's remaining stops")
        nurses = [n.model_copy(update={"remaining": list(remaining.get(n.shift, n.remaining))})
                  for n in d.state.nurses]
        d.state = d.state.model_copy(update={"nurses": nurses})
        return d
    raise AcuteInputError(f"unknown log entry kind {e.kind!r}")


def state_fingerprint(state: NightState | None) -> str:
    """A canonical JSON of ``state`` for comparing a cached state with a replay."""
    return "" if state is None else json.dumps(json.loads(state.to_json(indent=None)), sort_keys=True)
