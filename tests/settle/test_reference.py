"""Acute readiness is judged against a reference routing that does not follow the solver seed."""

from __future__ import annotations

import dataclasses

import pytest

import nachtzorg.settle.game as game_mod
from nachtzorg import Scenario
from nachtzorg.problem import compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.settle import coalition_key, settle_period
from nachtzorg.settle.reference import reference_routes
from nachtzorg.solve.fleet import left_over

from .conftest import night_data


def test_reference_routes_are_the_same_on_every_call_and_serve_the_night() -> None:
    """The reference of a night is one plan, whatever ran before it, and it can be timed with every visit on it."""
    p = compile_scenario(Scenario.model_validate(night_data(True))).problem
    first = reference_routes(p)
    assert reference_routes(p) == first
    assert schedule_routes(p, first).feasible
    assert left_over(p, first) == 0


def test_readiness_does_not_follow_the_searched_routes(tiny_period_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever routes the search returns (here: none at all), every coalition's simulated readiness and its team
    come out the same: they are judged against the reference routing (the team grows only where the searched plan
    itself uses more nurses)."""
    from nachtzorg.cli.settle import load_period

    period = load_period(str(tiny_period_path))
    real = settle_period(period, seed=3, progress=False)
    true_costs = game_mod.coalition_costs

    def no_routes(*args, **kwargs):
        cg = true_costs(*args, **kwargs)
        cg.costs = {s: dataclasses.replace(c, routes=[[] for _ in c.routes]) for s, c in cg.costs.items()}
        return cg

    monkeypatch.setattr(game_mod, "coalition_costs", no_routes)
    odd = settle_period(period, seed=3, progress=False)
    for a, b in zip(real.nights, odd.nights):
        for s, ca in a.coalitions.items():
            cb = b.coalitions[s]
            key = (a.label, coalition_key(s))
            assert (cb.within_share, cb.visit_calls, cb.nurses_reference) == \
                (ca.within_share, ca.visit_calls, ca.nurses_reference), key
            # the team: the readiness team, or the searched plan's nurses where it uses more
            assert ca.nurses == max(cb.nurses, ca.nurses_planned), key


def test_each_night_is_routed_in_independent_solves_with_disjoint_seeds(tiny_period_path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Solver seed s routes every night in SOLVES_PER_NIGHT solves seeded s * SOLVES_PER_NIGHT + i: two seeds never
    share a solve, and the solver seed still drives every one of them."""
    from nachtzorg.cli.settle import load_period

    period = load_period(str(tiny_period_path))
    true_costs = game_mod.coalition_costs
    seen: list[int] = []

    def recording(scenario, params, **kwargs):
        seen.append(params.grand.seed)
        return true_costs(scenario, params, **kwargs)

    monkeypatch.setattr(game_mod, "coalition_costs", recording)
    k = game_mod.SOLVES_PER_NIGHT
    settle_period(period, seed=3, progress=False)
    first = set(seen)
    seen.clear()
    settle_period(period, seed=4, progress=False)
    assert first == set(range(3 * k, 4 * k)) and set(seen) == set(range(4 * k, 5 * k))
