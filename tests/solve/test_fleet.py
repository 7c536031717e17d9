"""Fewer nurses and priorities around the search: route elimination parts, priority swaps."""

from __future__ import annotations

import copy

from nachtzorg import Scenario, compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.solve.fleet import honour_priorities

from ..conftest import client, night, nurse, visit


def _problem(data):
    return compile_scenario(Scenario.model_validate(copy.deepcopy(data))).problem


def test_a_higher_priority_visit_takes_the_place_of_a_lower_one():
    """Routes that serve a priority-1 visit while a clashing priority-3 visit is left out (as a
    short search may leave them) are swapped: the priority-3 visit is served."""
    p = _problem(night([client("c1", 1, 0), client("c2", 1.5, 0)],
                       [visit("low", "c1", "01:00", "01:05", 60), visit("high", "c2", "01:00", "01:05", 60, priority=3)],
                       shifts=[nurse("n1")]))
    low, high = p.task_nodes[0][0], p.task_nodes[1][0]
    out = honour_priorities(p, [[low]])
    assert out == [[high]] and schedule_routes(p, out).feasible


def test_no_swap_when_both_fit_or_priorities_agree():
    """Nothing changes when the left-out visit has the lower priority, or nothing is left out."""
    p = _problem(night([client("c1", 1, 0), client("c2", 1.5, 0)],
                       [visit("a", "c1", "01:00", "01:05", 60, priority=2), visit("b", "c2", "01:00", "01:05", 60)],
                       shifts=[nurse("n1")]))
    routes = [[p.task_nodes[0][0]]]
    assert honour_priorities(p, routes) is routes
    both = _problem(night([client("c1", 1, 0), client("c2", 1.5, 0)],
                          [visit("a", "c1", "01:00", "03:00", 20), visit("b", "c2", "01:00", "03:00", 20)],
                          shifts=[nurse("n1")]))
    full = [[both.task_nodes[0][0], both.task_nodes[1][0]]]
    assert honour_priorities(both, full) is full
