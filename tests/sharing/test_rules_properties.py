"""Axioms and properties of the allocation rules on random games (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nachtzorg.sharing import (
    EmptyCoreError,
    Game,
    check_core,
    check_individual_rationality,
    core_is_empty,
    epm,
    least_core,
    least_core_epsilon,
    nucleolus,
    per_capita_nucleolus,
    prenucleolus,
    proportional_standalone,
    shapley,
    shapley_sampled,
)
from nachtzorg.sharing.game import incidence

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _names(n: int) -> list[str]:
    return [f"org{i}" for i in range(n)]


@st.composite
def games(draw: st.DrawFn, kind: str = "savings", min_n: int = 2, max_n: int = 5) -> Game:
    """Arbitrary game with integer values in [-50, 100]."""
    n = draw(st.integers(min_n, max_n))
    vals = draw(st.lists(st.integers(-50, 100), min_size=(1 << n) - 1, max_size=(1 << n) - 1))
    return Game(_names(n), np.array([0.0] + [float(v) for v in vals]), kind)  # type: ignore[arg-type]


@st.composite
def convex_savings_games(draw: st.DrawFn, min_n: int = 2, max_n: int = 5) -> Game:
    """Convex game: non-negative Harsanyi dividends on coalitions of size >= 2 (v(i) = 0)."""
    n = draw(st.integers(min_n, max_n))
    inc = incidence(n)
    values = np.zeros(1 << n)
    for t in range(1, 1 << n):
        if bin(t).count("1") < 2:
            continue
        d = draw(st.integers(0, 20))
        if d:
            contains = np.all(inc[:, inc[t] == 1] == 1, axis=1)
            values += d * contains
    return Game(_names(n), values, "savings")


@st.composite
def concave_cost_games(draw: st.DrawFn) -> Game:
    """Concave (submodular) cost game: positive stand-alone costs minus a convex savings game."""
    sav = draw(convex_savings_games())
    c1 = np.array([draw(st.integers(50, 200)) for _ in range(sav.n)], dtype=float)
    # keep stand-alone costs large enough that every coalition's cost stays positive
    c1 += float(sav.grand_value)
    costs = incidence(sav.n) @ c1 - sav.values
    return Game(sav.players, costs, "cost")


def _vec(game: Game, alloc: dict[str, float]) -> np.ndarray:
    return np.array([alloc[p] for p in game.players])


# ----------------------------------------------------------------- Shapley axioms
@SETTINGS
@given(games())
def test_shapley_efficiency(game: Game) -> None:
    """Shapley shares sum to the grand-coalition value."""
    assert sum(shapley(game).values()) == pytest.approx(game.grand_value, abs=1e-8)


@SETTINGS
@given(games(), st.data())
def test_shapley_symmetry(game: Game, data: st.DataObject) -> None:
    """Two interchangeable players get the same Shapley share."""
    i, j = data.draw(st.lists(st.integers(0, game.n - 1), min_size=2, max_size=2, unique=True))
    masks = np.arange(1 << game.n)
    bi, bj = 1 << i, 1 << j
    swapped = masks & ~(bi | bj) | np.where(masks & bi, bj, 0) | np.where(masks & bj, bi, 0)
    sym = Game(game.players, game.values + game.values[swapped], game.kind)
    phi = shapley(sym)
    assert phi[game.players[i]] == pytest.approx(phi[game.players[j]], abs=1e-8)


@SETTINGS
@given(games(max_n=4), st.integers(-30, 30))
def test_shapley_dummy_player(base: Game, a: int) -> None:
    """A player adding exactly a to every coalition gets a; a null player (a=0) gets 0."""
    n = base.n + 1
    masks = np.arange(1 << n)
    others = masks & ((1 << base.n) - 1)
    values = base.values[others] + a * ((masks >> base.n) & 1)
    game = Game(_names(n), values, "savings")
    assert shapley(game)[game.players[-1]] == pytest.approx(a, abs=1e-8)


@SETTINGS
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(games(min_n=n, max_n=n), games(min_n=n, max_n=n))))
def test_shapley_additivity(pair: tuple[Game, Game]) -> None:
    """Shapley(v + w) = Shapley(v) + Shapley(w)."""
    v, w = pair
    total = Game(v.players, v.values + w.values, "savings")
    assert _vec(total, shapley(total)) == pytest.approx(_vec(v, shapley(v)) + _vec(w, shapley(w)), abs=1e-8)


@SETTINGS
@given(concave_cost_games())
def test_shapley_cost_and_savings_views_agree(cost: Game) -> None:
    """Shapley cost share = stand-alone cost - Shapley savings share (kind conversion is exact)."""
    sav = cost.to_savings()
    assert sav.to_cost() == cost
    x = _vec(cost, shapley(cost))
    y = _vec(sav, shapley(sav))
    assert x == pytest.approx(cost.singleton_values() - y, abs=1e-8)


@SETTINGS
@given(convex_savings_games())
def test_shapley_in_core_of_convex_game(game: Game) -> None:
    """Shapley value of a convex game lies in the core (Shapley 1971)."""
    assert check_core(game, shapley(game)).in_core


# ----------------------------------------------------------------- nucleolus family
@SETTINGS
@given(convex_savings_games())
def test_nucleolus_in_core_of_convex_savings_game(game: Game) -> None:
    """Nucleolus, prenucleolus, per-capita nucleolus and least core are in a non-empty core."""
    assert not core_is_empty(game)
    for rule in (nucleolus, prenucleolus, per_capita_nucleolus, least_core):
        assert check_core(game, rule(game)).in_core, rule.__name__


@SETTINGS
@given(concave_cost_games())
def test_nucleolus_in_core_of_concave_cost_game(game: Game) -> None:
    """For cost games too the nucleolus is in the core and equals the prenucleolus."""
    nuc = nucleolus(game)
    assert check_core(game, nuc).in_core
    assert _vec(game, nuc) == pytest.approx(_vec(game, prenucleolus(game)), abs=1e-6)


@SETTINGS
@given(games())
def test_nucleolus_efficient_rational_and_core_iff_nonempty(game: Game) -> None:
    """On any game with imputations: nucleolus efficient, IR, and in the core iff the core is non-empty."""
    if game.singleton_values().sum() > game.grand_value:
        return
    nuc = nucleolus(game)
    assert sum(nuc.values()) == pytest.approx(game.grand_value, abs=1e-6)
    assert check_individual_rationality(game, nuc).individually_rational
    assert check_core(game, nuc).in_core == (not core_is_empty(game))


@SETTINGS
@given(games())
def test_least_core_attains_epsilon(game: Game) -> None:
    """The least-core allocation's largest excess is epsilon, and no other allocation does better."""
    eps = least_core_epsilon(game)
    lc = check_core(game, least_core(game))
    assert lc.violation == pytest.approx(eps, abs=1e-6)
    assert check_core(game, shapley(game)).violation >= eps - 1e-6
    assert core_is_empty(game) == (eps > 1e-6 * max(1.0, float(np.abs(game.values).max())))


@SETTINGS
@given(games(), st.permutations(range(5)))
def test_prenucleolus_anonymous(game: Game, perm: list[int]) -> None:
    """Renaming/reordering players does not change anyone's prenucleolus share."""
    order = [p for p in perm if p < game.n]
    players = [game.players[i] for i in order]
    reordered = Game.from_coalitions(game.to_dict(), players=players, kind=game.kind)
    a, b = prenucleolus(game), prenucleolus(reordered)
    for p in game.players:
        assert a[p] == pytest.approx(b[p], abs=1e-6)


# ----------------------------------------------------------------- EPM
@SETTINGS
@given(concave_cost_games())
def test_epm_in_core_and_minimises_relative_spread(game: Game) -> None:
    """EPM is a core allocation whose spread of x_i/c(i) is no larger than the nucleolus's."""
    x = epm(game)
    assert check_core(game, x).in_core
    c1 = game.singleton_values()

    def spread(alloc: dict[str, float]) -> float:
        r = _vec(game, alloc) / c1
        return float(r.max() - r.min())

    assert spread(x) <= spread(nucleolus(game)) + 1e-7
    assert spread(x) <= spread(shapley(game)) + 1e-7


@SETTINGS
@given(concave_cost_games())
def test_epm_equals_proportional_when_that_is_stable(game: Game) -> None:
    """If the proportional-to-stand-alone split is in the core, EPM (spread 0) must equal it."""
    prop = proportional_standalone(game)
    if not check_core(game, prop, tol=-1e-9).in_core and not check_core(game, prop).in_core:
        return
    assert _vec(game, epm(game)) == pytest.approx(_vec(game, prop), rel=1e-7, abs=1e-6)


def test_epm_empty_core_raises_or_relaxes() -> None:
    """EPM raises EmptyCoreError on an empty core, and the explicit fallback stays in the least core."""
    # cost game with empty core: every pair is cheap, the three together are expensive
    values = {("a",): 10, ("b",): 10, ("c",): 10, ("a", "b"): 10, ("a", "c"): 10, ("b", "c"): 10,
              ("a", "b", "c"): 18}
    game = Game.from_coalitions(values, kind="cost")
    assert core_is_empty(game)
    with pytest.raises(EmptyCoreError, match="core is empty"):
        epm(game)
    x = epm(game, on_empty_core="least_core")
    assert sum(x.values()) == pytest.approx(18.0)
    assert check_core(game, x).violation == pytest.approx(least_core_epsilon(game), abs=1e-6)


def test_epm_savings_game_uses_standalone_costs() -> None:
    """EPM of a converted savings game equals stand-alone cost minus the EPM cost shares."""
    cost = Game.from_coalitions(
        {("a",): 10, ("b",): 20, ("c",): 40, ("a", "b"): 25, ("a", "c"): 45, ("b", "c"): 50,
         ("a", "b", "c"): 60},
        kind="cost",
    )
    x = epm(cost)
    y = epm(cost.to_savings())
    for p, c in zip(cost.players, cost.singleton_values()):
        assert y[p] == pytest.approx(c - x[p], abs=1e-7)


# ----------------------------------------------------------------- sampling
def test_sampled_shapley_ci_covers_exact_value() -> None:
    """On a random 10-player game the 95% CIs cover the exact Shapley value for most players."""
    rng = np.random.default_rng(12345)
    n = 10
    weights = rng.uniform(1, 10, n)
    inc = incidence(n)
    values = (inc @ weights) ** 1.2 + rng.normal(0, 5, 1 << n)  # convex-ish with noise
    values[0] = 0.0
    game = Game(_names(n), values, "savings")
    exact = shapley(game)
    est = shapley_sampled(game, n_permutations=4000, seed=7)
    covered = sum(abs(est.estimates[p] - exact[p]) <= est.half_widths[p] for p in game.players)
    assert covered >= 8  # ~95% coverage expected; 8/10 leaves room for chance
    assert all(h > 0 for h in est.half_widths.values())
    again = shapley_sampled(game, n_permutations=4000, seed=7)
    assert again.estimates == est.estimates  # seeded, reproducible
    bigger = shapley_sampled(game, n_permutations=16000, seed=7)
    assert np.mean(list(bigger.half_widths.values())) < np.mean(list(est.half_widths.values()))


def test_sampled_shapley_efficient_per_permutation() -> None:
    """Every sampled permutation's marginals sum to v(N), so the estimate is exactly efficient."""
    game = Game(_names(6), np.r_[0.0, np.random.default_rng(1).uniform(0, 50, 63)], "cost")
    est = shapley_sampled(game, n_permutations=200, seed=3)
    assert sum(est.estimates.values()) == pytest.approx(game.grand_value, abs=1e-8)


def test_shapley_exact_twenty_players_fast() -> None:
    """Exact Shapley on 16 players (65k coalitions) of an additive game returns the weights."""
    n = 16
    w = np.arange(1.0, n + 1)
    game = Game(_names(n), incidence(n) @ w, "cost")
    assert _vec(game, shapley(game)) == pytest.approx(w, abs=1e-8)


def test_lp_fallback_without_duals_gives_same_nucleolus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-coalition tightness check (used when no dual is positive) reproduces the nucleolus."""
    from nachtzorg.sharing import rules

    game = Game.from_coalitions(
        {("a",): 0, ("b",): 0, ("c",): 0, ("a", "b"): 0, ("a", "c"): 0, ("b", "c"): 100,
         ("a", "b", "c"): 200},
        kind="savings",
    )  # Talmud game E=200, claims 100/200/300 (Aumann & Maschler 1985): nucleolus (50, 75, 75)
    expected = _vec(game, nucleolus(game))
    monkeypatch.setattr(rules, "_DUAL_TOL", 1e300)
    assert _vec(game, nucleolus(game)) == pytest.approx(expected, abs=1e-7)
    assert expected == pytest.approx([50.0, 75.0, 75.0], abs=1e-7)


def test_single_player_game() -> None:
    """A one-player game allocates everything to that player under every rule."""
    game = Game(["solo"], np.array([0.0, 42.0]), "cost")
    for rule in (shapley, nucleolus, prenucleolus, least_core, epm, proportional_standalone):
        assert rule(game) == {"solo": pytest.approx(42.0)}
    assert check_core(game, {"solo": 42.0}).in_core and least_core_epsilon(game) == 0.0
