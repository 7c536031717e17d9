"""Our joint insertion: hard windows first, then lateness where a visit allows it."""

from __future__ import annotations

import numpy as np

from nachtzorg import Scenario
from nachtzorg.problem import Problem, compile_scenario
from nachtzorg.schedule import schedule_routes, service_cost
from nachtzorg.solve.insertion import InsertionBuilder, insertion_routes, repair_routes

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


def _push_night() -> Problem:
    """A tight visit 10 km east (due 23:00, lateness allowed at 10 EUR a minute) and an hour-long
    visit halfway there, whose window is the whole night; the nurse ends 20 km east. By detour
    alone the long visit goes on the way, before the tight one (no detour at all), and makes
    it an hour late; after it, it costs a 10 km detour. The largest lateness costs 5 EUR a minute."""
    east = {"lat": 52.993, "lon": round(6.562 + 20 / 67.0, 6)}
    return compile_scenario(Scenario.model_validate(night(
        [client("tight", 0, 10), client("long", 0, 5)],
        [visit("v_tight", "tight", "23:00", "23:00", max_lateness_min=180, lateness_cost_per_min_eur=10),
         visit("v_long", "long", "23:00", "06:00", minutes=60)],
        shifts=[nurse("n1", end_location=east)], max_lateness_cost_per_min_eur=5))).problem


def test_insertion_prices_the_lateness_its_delay_pushes_onto_later_visits():
    p = _push_night()
    tight, long = _node(p, "v_tight"), _node(p, "v_long")
    priced = InsertionBuilder(p, allow_late=True).build()
    detour_only = InsertionBuilder(p, allow_late=True, price_delays=False).build()
    assert detour_only == [[long, tight]]  # the detour alone: on the way, an hour's lateness pushed
    assert priced == [[tight, long]]
    assert service_cost(p, priced) < service_cost(p, detour_only)
    # insertion_routes builds both ways and keeps the cheaper
    assert insertion_routes(p) == priced


def test_the_price_of_a_position_is_what_the_schedule_charges():
    """Every feasible position of a visit, priced by detour, pushed lateness and the largest
    lateness, costs exactly what the schedule's costing of the plan with it adds."""
    p = _push_night()
    tight, long = _node(p, "v_tight"), _node(p, "v_long")
    b = InsertionBuilder(p, allow_late=True)
    b._insert(b.routes[0], 0, tight)
    r = b.routes[0]
    e, lat, cost, _ = b._positions(r, long)
    extra, worst = b._extra(r, long, np.arange(e.size), e)
    price = cost + extra + np.maximum(worst - b._worst_late(), 0) * b.max_late_cost
    base = service_cost(p, [[tight]])
    for k in np.flatnonzero(e <= lat):
        nodes = [tight][:k] + [long] + [tight][k:]
        assert price[k] == service_cost(p, [nodes]) - base
