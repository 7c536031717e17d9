"""The live night in integers: the remaining night as a core Problem, advancing, events."""

from __future__ import annotations

import pytest

from nachtzorg.acute import AcuteCall, AcuteInputError, LiveNight
from nachtzorg.acute.live import OVERTIME_ALLOWED_S, reoptimise
from nachtzorg.travel import provider_for

from .conftest import call_at


def test_the_remaining_night_is_a_problem_with_nurses_where_they_are(pair_night):
    """Before anything happened: every planned stop is a task, each nurse starts at her shift's
    place and time, may run into overtime, and has no fixed cost (the shift is paid already)."""
    scenario, plan, _ = pair_night
    live = LiveNight.of_plan(scenario, plan)
    rem = live.remaining(provider_for(scenario.travel))
    p = rem.problem
    assert set(rem.refs) == {"vA", "vB"} and len(rem.nodes_of("vA")) == 2
    assert list(p.vehicle_ids) == [s.id for s in scenario.shifts] and not p.fixed_cost.any()
    assert (p.shift_end - rem.shift_end == OVERTIME_ALLOWED_S).all()
    assert rem.schedule().feasible and [list(r) for r in rem.ref_routes()] == [
        [s.visit_id for s in r.visits] for r in plan.routes]


def test_advancing_fixes_what_has_started_and_puts_nurses_on_the_road(pair_night):
    """At 02:10 the two-nurse visit of 02:00 has started for both nurses; they are busy until it
    ends; time may not go back."""
    scenario, plan, _ = pair_night
    travel = provider_for(scenario.travel)
    clock = scenario.clock
    live = LiveNight.of_plan(scenario, plan).advance(clock.to_seconds("02:10"), travel)
    started = {(f.shift, f.ref) for f in live.fixed}
    assert {("n1", "vA"), ("n2", "vA")} <= started
    n1 = live.nurses[live.vehicle("n1")]
    assert "vA" not in n1.remaining and n1.free_at == clock.to_seconds("02:40")
    with pytest.raises(AcuteInputError, match="time goes back"):
        live.advance(clock.to_seconds("02:00"), travel)


def test_events_fix_starts_and_ends(pair_night):
    """`started` fixes the start (and the expected end), `done` the end; both nurses of a two-nurse
    visit; starting a stop reported done, or one on nobody's route, is an error."""
    scenario, plan, _ = pair_night
    clock = scenario.clock
    travel = provider_for(scenario.travel)
    t = clock.to_seconds("02:05")
    live = LiveNight.of_plan(scenario, plan).advance(t, travel).started("vA", None, t)
    got = {f.shift: f for f in live.fixed if f.ref == "vA"}
    assert set(got) == {"n1", "n2"} and all(f.start == t for f in got.values())
    later = live.done("vA", "n1", t + 1800)
    assert {f.end for f in later.fixed if f.ref == "vA"} == {t + 1800}
    with pytest.raises(AcuteInputError, match="already reported done"):
        later.started("vA", None, t + 1900)
    call = AcuteCall.model_validate(call_at("c9", 0.5))
    with pytest.raises(AcuteInputError, match="on no nurse's route"):
        later.with_call(call, t).started("c9", None, t + 1900)
    with pytest.raises(AcuteInputError, match="unknown visit or call"):
        later.done("nope", None, t + 1900)


def test_a_call_becomes_a_task_and_reoptimise_keeps_the_cheaper_routes(pair_night):
    """A call is a task with its norm as window; re-optimising never returns a dearer plan."""
    scenario, plan, _ = pair_night
    clock = scenario.clock
    travel = provider_for(scenario.travel)
    t = clock.to_seconds("03:00")
    call = AcuteCall.model_validate(call_at("c1", 0.5))
    live = LiveNight.of_plan(scenario, plan).advance(t, travel).with_call(call, t)
    row = live.tasks["c1"]
    assert row.windows.tolist() == [[t, t + call.norm_s]] and live.kinds["c1"] == "acute"
    rem = live.remaining(travel, extra=["c1"])
    routes = [list(r) for r in rem.routes]
    routes[live.vehicle("n3")].insert(0, rem.nodes_of("c1")[0])
    from nachtzorg.schedule import total_cost

    out, info = reoptimise(rem, routes, time_limit_s=None, solution_limit=5)
    assert total_cost(rem.problem, out) <= total_cost(rem.problem, routes)
    assert info["cost_after"] <= info["cost_before"]
    assert live.without_task("c1").tasks.keys() == live.tasks.keys() - {"c1"}
