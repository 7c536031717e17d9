"""The lower bound on nurses: each bound is met by a night built to need it, never exceeds what a
plan that serves every visit uses, and reaches the plan, the summary and the route sheets."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nachtzorg import Scenario, plan_night
from nachtzorg.bounds import nurses_lower_bound
from nachtzorg.problem import compile_scenario

from .conftest import DETERMINISTIC, client, night, nurse, visit


def _bound(data: dict):
    s = Scenario.model_validate(data)
    return nurses_lower_bound(compile_scenario(s).problem, s.clock.label)


def test_visits_at_one_time_far_apart_need_one_nurse_each():
    """Four 02:00 visits 30 km apart: no nurse can do two of them, so four are needed."""
    data = night([client(f"c{i}", 30 * i, 0) for i in range(4)],
                 [visit(f"v{i}", f"c{i}", "02:00", "02:10", 20) for i in range(4)],
                 shifts=[nurse(f"n{i}") for i in range(5)])
    b = _bound(data)
    assert b.nurses == 4 and b.kind == "overlap"
    assert "no one nurse can combine" in b.reason and "v0" in b.reason


def test_a_two_nurse_visit_needs_two():
    data = night([client("c1", 1, 0)], [visit("v1", "c1", "02:00", "03:00", 30, nurses=2)],
                 shifts=[nurse(f"n{i}") for i in range(3)])
    b = _bound(data)
    assert b.nurses == 2 and "two-nurse visits counted twice" in b.reason


def test_more_care_than_one_shift_holds_needs_two():
    """Ten hours of care with wide windows: one 8.5-hour shift cannot hold it."""
    data = night([client(f"c{i}", 1, 0.1 * i) for i in range(10)],
                 [visit(f"v{i}", f"c{i}", "23:00", "06:00", 60) for i in range(10)],
                 shifts=[nurse(f"n{i}") for i in range(4)])
    b = _bound(data)
    assert b.nurses == 2 and b.kind == "work" and "more than 1 shift can hold" in b.reason


def test_care_bunched_in_one_hour_needs_its_share_of_nurses():
    """Six 25-minute visits that must all happen between 01:00 and 02:00 (windows 01:00-01:35):
    150 minutes of care in one hour need three nurses, though the night has room for one."""
    data = night([client(f"c{i}", 0.2 * i, 0) for i in range(6)],
                 [visit(f"v{i}", f"c{i}", "01:00", "01:35", 25) for i in range(6)],
                 shifts=[nurse(f"n{i}") for i in range(6)])
    b = _bound(data)
    assert b.nurses == 3 and b.kind == "span" and "01:00" in b.reason


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(-8, 8), st.floats(-8, 8), st.integers(0, 14), st.integers(1, 8),
                          st.integers(5, 60), st.sampled_from([1, 1, 1, 2])), min_size=1, max_size=9),
       st.integers(2, 4))
def test_a_plan_that_serves_every_visit_never_uses_fewer_nurses_than_the_bound(visits, n_nurses):
    """Random small nights: whenever the plan serves every visit, it uses at least the bound."""
    clients = [client(f"c{i}", x, y) for i, (x, y, *_) in enumerate(visits)]
    vs = []
    for i, (_, _, start_q, width_q, minutes, nurses) in enumerate(visits):
        a = 23 * 60 + 30 * start_q
        b = a + 15 * width_q
        hhmm = lambda m: f"{(m // 60) % 24:02d}:{m % 60:02d}"  # noqa: E731
        vs.append(visit(f"v{i}", f"c{i}", hhmm(a), hhmm(min(b, 30 * 60 + 45)), minutes, nurses=nurses))
    s = Scenario.model_validate(night(clients, vs, shifts=[nurse(f"n{i}") for i in range(n_nurses)]))
    plan = plan_night(s, DETERMINISTIC)
    bound = plan.kpis.nurses_lower_bound
    assert bound is not None
    if plan.complete:
        assert plan.kpis.nurses_used >= bound, (plan.kpis.nurses_used, plan.kpis.nurses_bound_reason)


def test_the_plan_says_how_many_nurses_are_needed(assen):
    from nachtzorg.viz.routesheet import route_sheet_html

    plan = plan_night(assen, DETERMINISTIC)
    k = plan.kpis
    assert k.nurses_lower_bound is not None and 1 <= k.nurses_lower_bound <= k.nurses_used
    note = plan.nurses_note()
    assert (f"at least {k.nurses_lower_bound}" in note) or "which is the minimum" in note
    assert note in plan.summary()
    assert "Night team:" in route_sheet_html(plan, assen)
