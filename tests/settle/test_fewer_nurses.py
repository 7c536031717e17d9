"""A coalition night whose cheapest plan uses more nurses than its readiness team gets a search for a
plan with fewer (route elimination seeded by the solver seed), so that whether a time-limited solve
happened to find that plan does not move the coalition's yearly value by a shift times the night's weight."""

from __future__ import annotations

import dataclasses

import pytest

import nachtzorg.settle.game as game_mod
from nachtzorg import Scenario
from nachtzorg.problem import Problem, compile_scenario, units_to_eur
from nachtzorg.schedule import schedule_routes, service_cost, total_cost
from nachtzorg.settle import coalition_key, settle_period
from nachtzorg.settle.game import fewer_nurses
from nachtzorg.settle.reference import reference_routes
from nachtzorg.solve.fleet import left_over

from .conftest import night_data


def spread(p: Problem, routes: list[list[int]]) -> list[list[int]]:
    """``routes`` with every idle nurse given a share of the longest route (every other visit), as long as the plan
    can still be timed: a complete plan with more nurses than it needs."""
    routes = [list(r) for r in routes]
    while any(not r for r in routes):
        longest = max(range(len(routes)), key=lambda v: len(routes[v]))
        if len(routes[longest]) < 2:
            break
        trial = [list(r) for r in routes]
        trial[trial.index([])] = trial[longest][1::2]
        trial[longest] = trial[longest][0::2]
        if not schedule_routes(p, trial).feasible:
            break
        routes = trial
    return routes


def nurses(routes: list[list[int]]) -> int:
    return sum(1 for r in routes if r)


def test_fewer_nurses_takes_the_nurses_a_plan_does_not_need_off_down_to_the_floor() -> None:
    p = compile_scenario(Scenario.model_validate(night_data(True))).problem
    lean = reference_routes(p)
    wasteful = spread(p, lean)
    assert nurses(wasteful) > nurses(lean) and left_over(p, wasteful) == 0
    out = fewer_nurses(p, wasteful, floor=nurses(lean), seed=5)
    assert out is not None and schedule_routes(p, out).feasible and left_over(p, out) == 0
    assert nurses(lean) <= nurses(out) < nurses(wasteful)
    assert total_cost(p, out) < total_cost(p, wasteful)
    # nothing to search below the floor, nor without seconds
    assert fewer_nurses(p, wasteful, floor=nurses(wasteful), seed=5) is None
    assert fewer_nurses(p, wasteful, floor=nurses(lean), seed=5, seconds=0.0) is None


def test_with_a_solution_limit_the_search_for_fewer_nurses_gives_the_same_plan_twice() -> None:
    """The period's solution limit makes a rerun identical: so does this search under it."""
    p = compile_scenario(Scenario.model_validate(night_data(True))).problem
    lean = reference_routes(p)
    wasteful = spread(p, lean)
    first = fewer_nurses(p, wasteful, floor=nurses(lean), seed=5, solution_limit=20)
    assert first is not None and left_over(p, first) == 0 and nurses(first) < nurses(wasteful)
    assert total_cost(p, first) < total_cost(p, wasteful)
    assert fewer_nurses(p, wasteful, floor=nurses(lean), seed=5, solution_limit=20) == first


def test_a_plan_with_more_nurses_than_the_readiness_team_is_searched_for_fewer(
        tiny_period_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every solve returns a complete plan with every nurse on the road, and the reference (readiness is judged
    against it) leaves a visit over, so it is not a candidate: the night of the doubt on night 2 of the benchmark
    period. With the search, the team comes down to where the readiness team or the plan's needs allow; without
    it (no seconds), the wasteful plan is the coalition's night."""
    from nachtzorg.cli.settle import load_period

    period = load_period(str(tiny_period_path))
    true_costs, true_reference = game_mod.coalition_costs, game_mod.reference_routes

    def wasteful_costs(scenario, params, **kwargs):
        cg = true_costs(scenario, params, **kwargs)
        p = compile_scenario(scenario).problem
        for s, c in cg.costs.items():
            routes = spread(p, c.routes)
            cg.costs[s] = dataclasses.replace(c, routes=routes, cost_eur=round(units_to_eur(service_cost(p, routes)), 2),
                                              repaired_from=None)
        return cg

    def short_reference(problem):
        routes = [list(r) for r in true_reference(problem)]
        longest = max(routes, key=len)
        if len(longest) >= 2 and len(problem.task_nodes[int(problem.node_task[longest[-1]])]) == 1:
            longest.pop()
        return routes

    monkeypatch.setattr(game_mod, "coalition_costs", wasteful_costs)
    monkeypatch.setattr(game_mod, "reference_routes", short_reference)
    searched = settle_period(period, seed=2, progress=False)
    monkeypatch.setattr(game_mod, "FEWER_NURSES_S", 0.0)
    kept = settle_period(period, seed=2, progress=False)
    spared = 0
    for a, b in zip(searched.nights, kept.nights):
        for s, ca in a.coalitions.items():
            cb = b.coalitions[s]
            key = (a.label, coalition_key(s))
            assert cb.nurses_spared == 0, key
            assert ca.nurses <= cb.nurses and ca.nurses == cb.nurses - ca.nurses_spared, key
            assert ca.planned_eur + ca.readiness_eur <= cb.planned_eur + cb.readiness_eur + 1e-6, key
            spared += ca.nurses_spared
    assert spared > 0
    grand = frozenset(period.players)
    assert searched.cost(grand) < kept.cost(grand)
