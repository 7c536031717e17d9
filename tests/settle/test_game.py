"""The period game: the sum of its nights plus the yearly fixed items; acute readiness."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import pytest

from nachtzorg import Scenario
from nachtzorg.settle import coalition_key
from nachtzorg.settle.game import all_coalitions
from nachtzorg.settle.period import Norm, OrganisationTerms, Readiness
from nachtzorg.settle.readiness import (
    CallSource,
    call_profile,
    coalition_calls,
    smallest_team,
)
from nachtzorg.travel import provider_for

from .conftest import PERIOD, night_data


def test_period_game_is_the_sum_of_its_nights_plus_fixed_items(tiny_game) -> None:
    """c(S) = sum over nights of weight * (planned + readiness) + cars for the busiest night + items."""
    game = tiny_game.game()
    fixed = PERIOD["fixed"]
    assert len(tiny_game.nights) == 2 and [n.weight for n in tiny_game.nights] == [200, 165]
    for s in all_coalitions(game.players):
        nightly = sum(n.weight * (n.coalitions[s].planned_eur + n.coalitions[s].readiness_eur)
                      for n in tiny_game.nights)
        cars = max(n.coalitions[s].nurses for n in tiny_game.nights) * fixed["cars"]["eur_per_car_per_year"]
        items = 2920 * 10 + 9000 + (6000 if len(s) >= 2 else 0)
        assert game.value(s) == pytest.approx(nightly + cars + items, abs=0.01), coalition_key(s)


def test_each_night_prices_every_coalition_with_its_own_visits(tiny_game) -> None:
    """Night 2 has no visit of org-c: org-c alone costs no routing there, and adding it changes no route."""
    quiet = tiny_game.nights[1]
    c = frozenset({"org-c"})
    assert quiet.visits["org-c"] == 0
    assert quiet.coalitions[c].planned_eur == 0 and quiet.coalitions[c].nurses_planned == 0
    ab = frozenset({"org-a", "org-b"})
    assert quiet.coalitions[ab | c].planned_eur == quiet.coalitions[ab].planned_eur


def test_an_organisation_alone_keeps_at_least_one_nurse_awake(tiny_game) -> None:
    """Even on a night without planned visits, an organisation alone has a nurse on duty, paid as readiness."""
    for n in tiny_game.nights:
        for p in tiny_game.players:
            assert n.coalitions[frozenset([p])].nurses >= 1
    quiet = tiny_game.nights[1].coalitions[frozenset({"org-c"})]
    assert quiet.nurses >= 1 and quiet.readiness_eur >= 450.0
    assert tiny_game.readiness_eur(frozenset({"org-c"})) > 0


def test_a_larger_coalition_never_needs_fewer_nurses(tiny_game) -> None:
    """Readiness repair: the team of S is never larger than the team of a coalition containing S."""
    for n in tiny_game.nights:
        for s, cs in n.coalitions.items():
            for t, ct in n.coalitions.items():
                if s < t:
                    assert cs.nurses <= ct.nurses, (n.label, coalition_key(s), coalition_key(t))
            assert cs.nurses >= max(1, cs.nurses_planned)


def _team(calls_per_night: float, nights: int = 6) -> int:
    sc = Scenario.model_validate(night_data(True))
    terms = OrganisationTerms(id="org-c", calls_per_night=calls_per_night)
    src = CallSource("org-c", 2, call_profile(terms), tuple(sc.clients))  # calls at all five places
    cfg = Readiness(simulated_nights=nights, max_extra_nurses=3)
    norm = Norm(minutes=30, share=0.9)
    calls = [coalition_calls(sc, [src], cfg, norm, 0, j) for j in range(nights)]
    routes = [(), (), ()]
    trial, _ = smallest_team(sc, frozenset({"org-c"}), routes, calls, cfg, norm, provider_for(sc.travel, cache=False))
    return trial.nurses


def test_more_calls_never_need_fewer_nurses() -> None:
    """More acute calls at the same places need at least as many nurses (same seeds), and never none."""
    teams = [_team(x) for x in (0.0, 2.0, 6.0, 10.0, 16.0)]
    assert teams[0] == 1  # no calls: still one nurse awake
    assert teams == sorted(teams), teams
    assert teams[-1] > teams[0], teams


def test_calls_of_a_coalition_are_its_members_calls() -> None:
    """A coalition's simulated calls are the union of its members' own streams (common random numbers)."""
    sc = Scenario.model_validate(night_data(True))
    sources = {o["id"]: CallSource(o["id"], i, call_profile(OrganisationTerms.model_validate(o)),
                                   tuple(c for c in sc.clients if c.organisation == o["id"]))
               for i, o in enumerate(PERIOD["organisations"])}
    cfg, norm = Readiness(), Norm()
    for j in range(5):
        def key(calls):
            return sorted((c.received_s, c.lat, c.lon, c.urgency) for c in calls)

        a = coalition_calls(sc, [sources["org-a"]], cfg, norm, 0, j)
        b = coalition_calls(sc, [sources["org-b"]], cfg, norm, 0, j)
        ab = coalition_calls(sc, [sources["org-a"], sources["org-b"]], cfg, norm, 0, j)
        assert key(ab) == sorted(key(a) + key(b))
        assert all(c.norm_s == 30 * 60 for c in ab)
        assert len({c.ref for c in ab}) == len(ab)


def test_sampled_period_says_how_much_the_allocation_could_move(tiny_game) -> None:
    """A sampled period reports bootstrap margins per rule and the nights that keep them under the target."""
    from nachtzorg.settle import build_settlement

    period = dataclasses.replace(tiny_game.period, sampled=True)
    nights = [dataclasses.replace(n, weight=365 / 2) for n in tiny_game.nights]
    pg = dataclasses.replace(tiny_game, period=period, nights=nights)
    st = build_settlement(pg, ["shapley", "nucleolus", "proportional_visits"], bootstrap=50)
    conf = st.to_json()["confidence"]
    assert conf is not None and set(conf["moves"]) == {"shapley", "nucleolus", "proportional_visits"}
    largest = conf["largest_move"]
    assert largest > 0  # the two nights differ
    assert conf["nights_for_target"] >= 2
    if largest > 0.01:
        assert conf["nights_for_target"] > 2


def test_coalition_keys_are_sorted_ids() -> None:
    """Keys are the ids sorted and joined by commas, whatever the order given."""
    assert coalition_key(["org-b", "org-a"]) == "org-a,org-b"
    assert [coalition_key(s) for s in all_coalitions(["b", "a"])] == ["a,b", "a", "b"]
    assert len(all_coalitions(list("abcd"))) == 15 == sum(1 for k in range(1, 5) for _ in combinations("abcd", k))
