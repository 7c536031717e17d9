"""Reasons for unassigned visits: true to the night, in words a planner reads right."""

from __future__ import annotations

from nachtzorg import Scenario, compile_scenario
from nachtzorg.explain import explain_unassigned

from .conftest import client, night, nurse, visit


def _why(data, task: int = 0, **kw):
    sc = Scenario.model_validate(data)
    return explain_unassigned(compile_scenario(sc).problem, task, sc.clock, **kw)


def test_an_arrival_a_few_seconds_late_is_not_shown_as_on_time():
    """A window ending 23:15 and an arrival at 23:15 and some seconds: the text says 23:16, so it
    cannot be read as reachable."""
    # 22:45 + about 30.5 min of driving: 17 km straight, x1.35 detour, at 45 km/h
    seen = []
    for km in (17.0, 17.05, 17.1):
        code, detail = _why(night([client("c", km, 0)], [visit("v", "c", "22:45", "23:15")], shifts=[nurse("n1")]))
        if code == "window_unreachable":
            seen.append(detail.rsplit(" ", 1)[1])
    assert seen and all(arrival == "23:16" for arrival in seen), seen


def test_a_shift_too_short_is_not_called_an_unreachable_window():
    """She can start within the window but not be back before her shift ends: its own reason."""
    data = night([client("c", 20, 0)], [visit("v", "c", "23:00", "06:00", 30)],
                 shifts=[nurse("n1", t0="22:45", t1="23:50")])
    code, detail = _why(data)
    assert code == "shift_ends_too_early"
    assert "after her shift ends (23:50)" in detail


def test_two_nurse_visit_with_one_nurse_on_shift_is_explained():
    """A two-nurse visit on a night with one nurse: no second qualified nurse."""
    data = night([client("c", 1, 0)], [visit("v", "c", nurses=2)], shifts=[nurse("n1")])
    code, detail = _why(data)
    assert code == "no_second_qualified_nurse" and "only 1 on shift" in detail


def test_what_the_search_left_says_so():
    """A visit that could be done on an empty shift is 'not placed within' the search's budget."""
    code, detail = _why(night([client("c", 1, 0)], [visit("v", "c")], shifts=[nurse("n1")]), search="5 s of search")
    assert code == "not_placed" and detail.startswith("not placed within 5 s of search")
