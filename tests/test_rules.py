"""Each routing rule on a small night where breaking it would be cheaper.

Every plan passes the independent checker (``solve_checked``); each test also asserts the
rule directly, and a mutation of the plan that breaks the rule is caught by the checker.
"""

from __future__ import annotations

import datetime as dt

import pytest

from nachtzorg import Plan, Scenario, check_plan

from .conftest import BASE, client, night, nurse, solve_checked, stops_by_visit, visit


def _mutate_stop(plan: Plan, shift: str, visit_id: str, **changes) -> Plan:
    data = plan.model_dump(mode="python")
    for r in data["routes"]:
        if r["shift_id"] != shift:
            continue
        for s in r["stops"]:
            if s.get("visit_id") == visit_id:
                s.update(changes)
    return Plan.model_validate(data)


def test_time_window_respected_even_if_waiting_costs_nothing_extra():
    """A visit with a late window is served inside it, never early on the way."""
    data = night([client("c1", 2, 0), client("c2", 4, 0)],
                 [visit("early", "c1", "23:00", "23:30"), visit("late", "c2", "03:00", "03:15")],
                 shifts=[nurse("n1")])
    scenario, plan = solve_checked(data)
    (shift, s), = stops_by_visit(plan)["late"]
    assert "03:00" <= f"{s.start:%H:%M}" <= "03:15"
    broken = _mutate_stop(plan, shift, "late", start=s.start - dt.timedelta(hours=3),
                          arrival=s.start - dt.timedelta(hours=3), end=s.end - dt.timedelta(hours=3))
    assert "time_window" in check_plan(scenario, broken).rules()


def test_qualification_beats_distance():
    """A level-5 visit next to a level-3 nurse's base is driven by the far level-5 nurse."""
    near = {"lat": BASE["lat"] + 0.2, "lon": BASE["lon"]}
    data = night([client("c1", 22.0, 0)],
                 [visit("v5", "c1", qualification=5)],
                 shifts=[nurse("carer", level=3, start=near), nurse("rn", level=5)])
    scenario, plan = solve_checked(data)
    (shift, _), = stops_by_visit(plan)["v5"]
    assert shift == "rn"
    moved = plan.model_dump(mode="python")
    rn = next(r for r in moved["routes"] if r["shift_id"] == "rn")
    carer = next(r for r in moved["routes"] if r["shift_id"] == "carer")
    carer["stops"][1:1] = rn["stops"][1:-1]
    rn["stops"][1:-1] = []
    report = check_plan(scenario, Plan.model_validate(moved))
    assert "qualification" in report.rules()


def test_two_nurse_visit_gets_two_different_nurses_at_the_same_time():
    """A two-nurse visit is on two routes with one start time, though one nurse would be cheaper."""
    data = night([client("c1", 3, 3), client("c2", -3, 1)],
                 [visit("hoist", "c1", "00:00", "01:00", 30, nurses=2), visit("v2", "c2", "23:00", "06:00")])
    scenario, plan = solve_checked(data)
    served = stops_by_visit(plan)["hoist"]
    assert len(served) == 2
    (s1, a), (s2, b) = served
    assert s1 != s2 and a.start == b.start
    broken = _mutate_stop(plan, s2, "hoist", start=b.start + dt.timedelta(minutes=5),
                          end=b.end + dt.timedelta(minutes=5))
    assert "two_nurse_sync" in check_plan(scenario, broken).rules()


def test_shift_end_is_respected():
    """A nurse whose shift ends at 01:00 does not take a 03:00 visit, though she is nearer."""
    near = {"lat": BASE["lat"] + 0.05, "lon": BASE["lon"]}
    data = night([client("c1", 6, 0)], [visit("v", "c1", "03:00", "03:30")],
                 shifts=[nurse("short", start=near, t0="22:00", t1="01:00"), nurse("long")])
    _, plan = solve_checked(data)
    (shift, _), = stops_by_visit(plan)["v"]
    assert shift == "long"


def test_fixed_cost_means_fewest_nurses():
    """Visits one nurse can do are not spread over two (a shift costs far more than km)."""
    data = night([client(f"c{i}", i, 0) for i in range(4)],
                 [visit(f"v{i}", f"c{i}", "23:00", "06:00", 20) for i in range(4)],
                 shifts=[nurse("n1"), nurse("n2", start={"lat": BASE["lat"] + 0.03, "lon": BASE["lon"]})])
    _, plan = solve_checked(data)
    assert plan.kpis.nurses_used == 1
    assert plan.kpis.cost_eur > 400


def test_optional_visit_skipped_when_penalty_is_below_its_cost_and_served_otherwise():
    """An optional far visit is skipped for a 1 EUR penalty and served for 5000 EUR."""
    base = night([client("c1", 1, 0), client("far", 40, 0)],
                 [visit("v1", "c1"), visit("opt", "far", optional=True, penalty_eur=1.0)], shifts=[nurse("n1")])
    _, plan = solve_checked(base)
    assert [u.visit_id for u in plan.unassigned] == ["opt"]
    assert plan.unassigned[0].reason == "optional_not_worth_it" and not plan.unassigned[0].mandatory
    base["visits"][1]["penalty_eur"] = 5000.0
    _, plan = solve_checked(base)
    assert plan.complete


def test_soft_lateness_within_cap_is_used_and_costed():
    """A window that can only be met 10 min late (cap 20) is served late with lateness reported."""
    # 40 km away: about 72 minutes' drive at 45 km/h with detour 1.35; shift starts 22:45.
    data = night([client("c1", 40, 0)], [visit("v", "c1", "23:00", "23:50", max_lateness_min=20)],
                 shifts=[nurse("n1")])
    _, plan = solve_checked(data)
    (_, s), = stops_by_visit(plan)["v"]
    assert 0 < s.late_min <= 20
    assert plan.kpis.late_visits == 1 and plan.kpis.lateness_cost_eur > 0


def test_lateness_beyond_cap_leaves_visit_unassigned_with_reason():
    """Without enough lateness allowance the same visit is unassigned as unreachable."""
    data = night([client("c1", 40, 0)], [visit("v", "c1", "23:00", "23:50", max_lateness_min=5)],
                 shifts=[nurse("n1")])
    _, plan = solve_checked(data)
    assert plan.unassigned[0].reason == "window_unreachable"
    assert "23:00-23:50" in plan.unassigned[0].detail


def test_second_window_used_when_first_is_unreachable():
    """A visit with windows 22:50-22:55 and 03:00-03:30 is served in the second window."""
    data = night([client("c1", 25, 0)],
                 [visit("v", "c1", windows=[{"start": "22:50", "end": "22:55"}, {"start": "03:00", "end": "03:30"}])],
                 shifts=[nurse("n1")])
    _, plan = solve_checked(data)
    (_, s), = stops_by_visit(plan)["v"]
    assert "03:00" <= f"{s.start:%H:%M}" <= "03:30"


def test_unassigned_reasons_are_specific():
    """No qualified nurse, no second qualified nurse, unreachable and a full night each get their reason."""
    data = night(
        [client("a", 1, 0), client("b", 2, 0), client("c", 150, 0), client("d", 3, 0), client("e", 3.5, 0)],
        [visit("needs5", "a", qualification=5),
         visit("pair4", "b", nurses=2, qualification=4),
         visit("far", "c", "23:00", "23:10"),
         visit("full1", "d", "01:00", "01:05", 60),
         visit("full2", "e", "01:00", "01:05", 60)],
        shifts=[nurse("n1", level=4), nurse("n2", level=3)])
    _, plan = solve_checked(data)
    reasons = {u.visit_id: u.reason for u in plan.unassigned}
    assert reasons["needs5"] == "no_qualified_nurse"
    assert reasons["pair4"] == "no_second_qualified_nurse"
    assert reasons["far"] == "window_unreachable"
    # the two hour-long visits at 01:00 need level 3 -> both nurses; they can do both in parallel
    assert "full1" not in reasons and "full2" not in reasons


def test_not_placed_when_parallel_visits_outnumber_nurses():
    """Three simultaneous hour-long visits with two nurses leave one unassigned; the reason says the
    search did not place it within what it had, not that the night is proven full."""
    data = night([client(f"c{i}", i, 0) for i in range(3)],
                 [visit(f"v{i}", f"c{i}", "01:00", "01:05", 60) for i in range(3)])
    _, plan = solve_checked(data)
    assert [u.reason for u in plan.unassigned] == ["not_placed"]
    assert "not placed within 60 improving solutions" in plan.unassigned[0].detail


def test_priority_decides_which_visit_is_dropped():
    """When only one of two clashing visits fits, the higher-priority one is served."""
    data = night([client("c1", 1, 0), client("c2", 1.5, 0)],
                 [visit("low", "c1", "01:00", "01:05", 60), visit("high", "c2", "01:00", "01:05", 60, priority=3)],
                 shifts=[nurse("n1")])
    _, plan = solve_checked(data)
    assert [u.visit_id for u in plan.unassigned] == ["low"]


def test_same_input_same_seed_same_plan(assen):
    """Deterministic mode: identical input, seed and solution limit give an identical plan."""
    from nachtzorg import SolveParams, plan_night

    params = SolveParams(time_limit_s=None, solution_limit=30, seed=7)
    a = plan_night(assen, params)
    b = plan_night(assen, params)
    strip = lambda p: p.model_dump(exclude={"solver"})  # noqa: E731 - wall times differ
    assert strip(a) == strip(b)


@pytest.mark.xfail(strict=True, reason="with the home-care rules (breaks, dependencies) the deterministic "
                   "search serves 56 of 58 visits within 300 solutions; time-limited runs serve 55-57 (2026-12-07)")
def test_assen_example_is_fully_served_and_feasible(assen):
    """The bundled example night plans with every visit served and passes the checker."""
    from nachtzorg import SolveParams

    # deterministic (a solution limit, not a wall-clock budget), so the result does not depend on load
    _, plan = solve_checked(assen, SolveParams(time_limit_s=None, solution_limit=300, seed=1))
    assert plan.complete, plan.summary()
    assert plan.kpis.nurses_used <= 3


def test_checker_catches_travel_time_too_short_and_missing_visit(assen):
    """Moving a stop earlier than driving allows and deleting a visit are both reported."""
    _, plan = solve_checked(night([client("c1", 5, 0), client("c2", 10, 0)],
                                  [visit("v1", "c1", "23:00", "06:00"), visit("v2", "c2", "23:00", "06:00")],
                                  shifts=[nurse("n1")]))
    scenario = Scenario.model_validate(night([client("c1", 5, 0), client("c2", 10, 0)],
                                             [visit("v1", "c1", "23:00", "06:00"), visit("v2", "c2", "23:00", "06:00")],
                                             shifts=[nurse("n1")]))
    r = plan.routes[0]
    second = r.stops[2]
    earlier = second.arrival - dt.timedelta(minutes=30)
    broken = _mutate_stop(plan, r.shift_id, second.visit_id, arrival=earlier, start=earlier,
                          end=earlier + (second.end - second.start))
    assert "travel_time" in check_plan(scenario, broken).rules()
    data = plan.model_dump(mode="python")
    data["routes"][0]["stops"].pop(1)
    assert "missing_visit" in check_plan(scenario, Plan.model_validate(data)).rules()
