"""Dispatch on small hand-made nights."""

from __future__ import annotations

import pytest

from nachtzorg.acute import AcuteInputError, NightState, advance_state, apply_events, dispatch, initial_state

from .conftest import call_at


def test_busy_two_nurse_pair_not_pulled_away(pair_night):
    """The nurses closest to the caller but busy with a two-nurse visit are not sent; the free one goes."""
    scenario, plan, state = pair_night
    d = dispatch(state, call_at("c1", 0.5), "02:10")
    assert d.chosen is not None and d.chosen.shifts == ["n3"]
    assert d.chosen.norm_met and not d.backup_recommended
    busy = [o for o in d.options if o.shifts[0] in ("n1", "n2")]
    assert busy and all(o.arrival >= "02:40" for o in busy)  # free only when the visit ends


def test_done_and_in_progress_stops_never_move(pair_night):
    """Stops fixed by events or already started keep their times after a dispatch."""
    scenario, plan, state = pair_night
    st = apply_events(state, [{"kind": "started", "ref": "vA", "at": "02:01"}])
    before = {(r.shift, r.ref): (r.start, r.end) for r in st.fixed}
    assert before[("n1", "vA")][0].strftime("%H:%M") == "02:01"
    d = dispatch(st, call_at("c2", 0.2), "02:20", policy="reoptimise", reopt_solutions=5, reoptimise_s=None)
    after = {(r.shift, r.ref): (r.start, r.end) for r in d.state.fixed}
    for key, times in before.items():
        assert after[key] == times
    assert all("vA" not in n.remaining for n in d.state.nurses)


def test_call_goes_into_state_and_json_roundtrip(pair_night):
    """The chosen nurse gets the call on her route; the state survives JSON unchanged."""
    scenario, plan, state = pair_night
    d = dispatch(state, call_at("c3", 0.5), "02:10")
    nurse = d.state.nurse(d.chosen.shifts[0])
    assert nurse.remaining[0] == "c3"
    assert NightState.from_json(d.state.to_json()) == d.state
    assert "key_safe_code" not in d.state.to_json()


def test_backup_when_no_one_meets_the_norm(pair_night):
    """A call no nurse reaches within its norm recommends the back-up and keeps the routes."""
    scenario, plan, state = pair_night
    d = dispatch(state, call_at("c4", 25.0, urgency="immediate"), "02:10")
    assert d.backup_recommended and "back-up" in d.message
    assert d.state.backup_calls == ["c4"] and not d.state.calls


def test_two_nurse_call_gets_two_nurses(pair_night):
    """A two-nurse call is served by two different nurses starting together."""
    scenario, plan, state = pair_night
    d = dispatch(state, call_at("c5", 0.5, nurses=2), "23:30")
    assert len(set(d.chosen.shifts)) == 2


def test_input_errors_leave_state_untouched(pair_night):
    """Bad times, nurses, order and places raise AcuteInputError and do not change the state."""
    scenario, plan, state = pair_night
    text = state.to_json()
    with pytest.raises(AcuteInputError, match="outside the night"):
        dispatch(state, call_at("x1", 0.5), "12:30")
    with pytest.raises(AcuteInputError, match="unknown nurse"):
        apply_events(state, [{"kind": "done", "ref": "vA", "shift": "n9", "at": "02:40"}])
    with pytest.raises(AcuteInputError, match="out of order"):
        apply_events(state, [{"kind": "started", "ref": "vA", "at": "02:00"},
                             {"kind": "done", "ref": "vB", "at": "01:00"}])
    later = advance_state(state, "03:00")
    with pytest.raises(AcuteInputError, match="before the state"):
        dispatch(later, call_at("x2", 0.5), "02:30")
    with pytest.raises(AcuteInputError, match="from the nearest client"):
        dispatch(state, {"id": "x3", "location": {"lat": 48.85, "lon": 2.35}}, "02:10")
    assert state.to_json() == text


def test_dispatcher_can_assign_another_ranked_option(pair_night):
    """An option other than the first, chosen by (shifts, after_stops), is the one applied."""
    scenario, plan, state = pair_night
    d = dispatch(state, call_at("c6", 0.5), "02:10")
    other = next(o for o in d.options if o.shifts != d.chosen.shifts)
    d2 = dispatch(state, call_at("c6", 0.5), "02:10", choose=(other.shifts, other.after_stops))
    assert d2.chosen.shifts == other.shifts and d2.chosen.after_stops == other.after_stops
    assert "c6" in d2.state.nurse(other.shifts[0]).remaining
    with pytest.raises(AcuteInputError, match="not among the options"):
        dispatch(state, call_at("c6", 0.5), "02:10", choose=(other.shifts, [7]))


def test_an_option_that_breaks_a_lateness_cap_is_never_recommended_over_one_that_does_not(small_plan_files):
    """Under every policy the ranking puts options breaking no cap first; when every option breaks
    one, the message says so first; the chosen option heads the ranking, also after re-optimising."""
    import json

    from nachtzorg import Plan, Scenario

    scen, plan_file = small_plan_files
    scenario = Scenario.load(scen)
    plan = Plan.load(plan_file)
    state = initial_state(scenario, plan)
    for now in ("23:30", "01:00", "02:30", "04:00"):
        for policy in ("nearest", "least_disruption", "reoptimise"):
            call = {"id": f"c-{now.replace(':', '')}-{policy}", "location": scenario.clients[3].location.model_dump(),
                    "received": now, "duration_min": 25}
            d = dispatch(state, call, now, policy=policy, reoptimise_s=None, reopt_solutions=5)
            caps = [o.caps_broken > 0 for o in d.options]
            assert caps == sorted(caps), (now, policy, caps)  # no cap-free option after a cap-breaking one
            if d.chosen is not None:
                assert d.options[0] == d.chosen
                if all(caps):
                    assert d.message.startswith("WARNING: every option")
                elif not caps[0]:
                    assert not d.message.startswith("WARNING")
            assert json.loads(d.to_json(include_state=False))["options"][0]["rank"] == 1
