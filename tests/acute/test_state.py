"""The night state: JSON at the edges, the live night inside, and nothing secret in the file."""

from __future__ import annotations

import json

from nachtzorg.acute import NightState, advance_state, apply_events, initial_state
from nachtzorg.acute.state import from_live, to_live


def test_state_round_trips_through_the_live_night(pair_night):
    """JSON -> integers -> JSON gives the same state (clock times converted at the edges only)."""
    scenario, plan, _ = pair_night
    state = apply_events(initial_state(scenario, plan), [{"kind": "started", "ref": "vA", "at": "02:03"}])
    again = from_live(state, to_live(state))
    assert again == state
    assert NightState.from_json(state.to_json()).to_json() == state.to_json()


def test_state_file_holds_neither_codes_nor_access_notes(pair_night):
    """A key-safe code, also one typed into an access note, never reaches the state file."""
    scenario, plan, _ = pair_night
    clients = [c.model_copy(update={"key_safe_code": "KSC-1-SECRET", "access_note": "code KSC-2-SECRET"})
               for c in scenario.clients]
    secret = scenario.model_copy(update={"clients": clients})
    text = advance_state(initial_state(secret, plan), "02:30").to_json()
    assert "KSC-" not in text
    assert all("access_note" not in c for c in json.loads(text)["scenario"]["clients"])


def test_every_nurse_on_shift_is_in_the_state(pair_night):
    """A shift without a planned route is still on the night (she can answer calls)."""
    scenario, plan, _ = pair_night
    plan = plan.model_copy(update={"routes": [r for r in plan.routes if r.shift_id != "n3"]})
    state = initial_state(scenario, plan)
    assert [n.shift for n in state.nurses] == ["n1", "n2", "n3"]
    assert state.nurse("n3").remaining == []


# ---------------------------------------------------------------- delays and a nurse who drops out
def _clock(state: NightState, dt) -> str:  # noqa: ANN001
    return state.scenario.clock.label(state.scenario.clock.datetime_to_seconds(dt))


def test_a_visit_that_takes_longer_ends_later_and_pushes_the_rest(pair_night):
    """``delayed`` with the stop under way: it ends ``minutes`` later, she is free then, her next
    stop is timed from then."""
    scenario, plan, state = pair_night
    state = apply_events(state, [{"kind": "started", "ref": "vA", "at": "02:00"}])
    late = apply_events(state, [{"kind": "delayed", "ref": "vA", "shift": "n1", "at": "02:20", "minutes": 25}])
    (va,) = [r for r in late.fixed if r.ref == "vA" and r.shift == "n1"]
    assert _clock(late, va.end) == "03:05"  # 02:00 + 40 min + 25 min
    assert _clock(late, late.nurse("n1").free_at) == "03:05"
    other = [r for r in late.fixed if r.ref == "vA" and r.shift == "n2"][0]
    assert _clock(late, other.end) == "02:40"  # the partner is not held up
    assert late.events[-1].kind == "delayed"


def test_a_nurse_held_up_on_the_road_is_free_later(small_scenario):
    """``delayed`` without a stop: her free time moves by ``minutes`` and her next stop starts no
    earlier than then plus the drive."""
    from nachtzorg import plan_night
    from tests.conftest import DETERMINISTIC

    plan = plan_night(small_scenario, DETERMINISTIC)
    state = advance_state(initial_state(small_scenario, plan), "01:00")
    shift = next(n.shift for n in state.nurses if n.remaining)
    before = state.nurse(shift).free_at
    late = apply_events(state, [{"kind": "delayed", "shift": shift, "at": "01:00", "minutes": 30}])
    assert late.nurse(shift).free_at >= max(before, late.as_of) + __import__("datetime").timedelta(minutes=30)
    later = advance_state(late, "06:00")
    started = [r for r in later.fixed if r.shift == shift and r.ref == state.nurse(shift).remaining[0]]
    assert started and started[0].start >= late.nurse(shift).free_at


def test_a_nurse_who_drops_out_hands_her_visits_to_the_others(small_scenario):
    """``unavailable``: she is off with nothing left; each of her remaining visits goes to another
    nurse's route (or is listed unrouted), none is lost; the state file keeps both facts, and a
    dispatch never sends her."""
    from nachtzorg import plan_night
    from nachtzorg.acute import dispatch
    from tests.conftest import DETERMINISTIC

    plan = plan_night(small_scenario, DETERMINISTIC)
    state = advance_state(initial_state(small_scenario, plan), "01:00")
    shift = max(state.nurses, key=lambda n: len(n.remaining)).shift
    hers = set(state.nurse(shift).remaining)
    assert hers
    out = apply_events(state, [{"kind": "unavailable", "shift": shift, "at": "01:00"}])
    assert not out.nurse(shift).available and out.nurse(shift).remaining == []
    others = {r for n in out.nurses for r in n.remaining}
    assert hers <= others | set(out.unrouted)
    assert {r for n in state.nurses for r in n.remaining} <= others | set(out.unrouted)
    again = NightState.from_json(out.to_json())
    assert not again.nurse(shift).available and again.unrouted == out.unrouted
    assert "off for the rest of the night" in out.summary()
    call = {"id": "c1", "location": {"lat": small_scenario.clients[0].location.lat,
                                     "lon": small_scenario.clients[0].location.lon}, "duration_min": 20}
    dec = dispatch(out, call, "01:05")
    assert dec.options and all(shift not in o.shifts for o in dec.options)


def test_events_without_their_fields_are_refused():
    """A started event needs its stop, a delay its minutes, a drop-out its nurse."""
    import pytest
    from pydantic import ValidationError

    from nachtzorg.acute.state import Event

    for bad in ({"kind": "started", "at": "01:00"}, {"kind": "delayed", "shift": "n1", "at": "01:00"},
                {"kind": "unavailable", "at": "01:00"}, {"kind": "done", "ref": "v", "at": "01:00", "minutes": 5},
                {"kind": "delayed", "shift": "n1", "at": "01:00", "minutes": -5}):
        with pytest.raises(ValidationError):
            Event.model_validate(bad)
