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
