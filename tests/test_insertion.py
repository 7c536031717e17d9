"""Our joint insertion: hard windows first, then lateness where a visit allows it."""

from __future__ import annotations

from nachtzorg import Scenario
from nachtzorg.problem import Problem, compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.solve.insertion import insertion_routes, repair_routes

from .conftest import client, night, nurse, visit


def _far_visit_night(max_late_min: float) -> Problem:
    """One visit 40 km out (about 72 min's drive; the shift starts 22:45) due 23:00-23:50,
    so it can only start about 10 minutes late; and one visit next door to the start."""
    return compile_scenario(Scenario.model_validate(night(
        [client("far", 40, 0), client("near", 0.5, 0)],
        [visit("v_far", "far", "23:00", "23:50", max_lateness_min=max_late_min), visit("v_near", "near")],
        shifts=[nurse("n1")]))).problem


def _node(p: Problem, visit_id: str) -> int:
    return p.task_nodes[p.task_ids.index(visit_id)][0]


def test_a_visit_that_can_only_be_served_late_is_inserted_late():
    p = _far_visit_night(max_late_min=20)
    routes = insertion_routes(p)
    sched = schedule_routes(p, routes)
    assert sorted(n for r in routes for n in r) == sorted(x for nodes in p.task_nodes for x in nodes)
    assert sched.feasible
    late = sched.lateness(p)
    assert list(late) == [_node(p, "v_far")] and 0 < late[_node(p, "v_far")] <= 20 * 60


def test_lateness_beyond_the_allowance_still_leaves_the_visit_out():
    p = _far_visit_night(max_late_min=5)
    routes = insertion_routes(p)
    assert [n for r in routes for n in r] == [_node(p, "v_near")]


def test_repair_inserts_into_routes_that_already_hold_a_late_visit():
    """Before, a plan with any late visit was handed back untouched (the repair timed routes with
    hard windows only), so the visit next door stayed unserved."""
    p = _far_visit_night(max_late_min=20)
    far, near = _node(p, "v_far"), _node(p, "v_near")
    routes = [[far]]
    sched = schedule_routes(p, routes)
    assert sched.feasible and sched.lateness(p)
    fixed = repair_routes(p, routes, sched.start_of())
    assert sorted(fixed[0]) == sorted([far, near])
    assert schedule_routes(p, fixed).feasible
