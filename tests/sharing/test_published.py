"""Allocation rules against values printed in published sources."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest

from nachtzorg.sharing import Game, nucleolus, per_capita_nucleolus, prenucleolus, shapley

DATA = Path(__file__).resolve().parent.parent / "data" / "games"
GAME_FILES = sorted(DATA.glob("*.json"))


def _vector_game(values: tuple[float, ...], n: int, kind: str = "savings") -> Game:
    """Game from a vector in 'by size, then lexicographic' coalition order (R CoopGame order)."""
    players = [str(i + 1) for i in range(n)]
    coalitions = [c for r in range(1, n + 1) for c in combinations(players, r)]
    assert len(coalitions) == len(values)
    return Game.from_coalitions(dict(zip(coalitions, values)), players=players, kind=kind)


def _bankruptcy(estate: float, claims: list[float]) -> Game:
    """Bankruptcy game v(S) = max(0, E - sum of claims outside S) (O'Neill 1982)."""
    names = [f"c{int(d)}" for d in claims]
    values = {}
    for r in range(1, len(claims) + 1):
        for members in combinations(range(len(claims)), r):
            outside = sum(d for i, d in enumerate(claims) if i not in members)
            values[frozenset(names[i] for i in members)] = max(0.0, estate - outside)
    return Game.from_coalitions(values, players=names, kind="savings")


def test_data_files_present() -> None:
    """The three shared games and their provenance are copied next to the tests."""
    assert {p.name for p in GAME_FILES} == {
        "airport_ibn_ezra_4p.json",
        "cost_game_3p_gametheoryallocation.json",
        "glove_game_3p.json",
    }
    assert (DATA / "PROVENANCE.md").is_file()


@pytest.mark.parametrize("path", GAME_FILES, ids=lambda p: p.stem)
def test_shapley_matches_published(path: Path) -> None:
    """Exact Shapley equals the published Shapley value of each shared game (see PROVENANCE.md)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    game = Game.from_json_dict(data)
    got = shapley(game)
    for player, expected in data["published"]["shapley"].items():
        assert got[player] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("estate", "expected"),
    [
        (100.0, (100 / 3, 100 / 3, 100 / 3)),
        (200.0, (50.0, 75.0, 75.0)),
        (300.0, (50.0, 100.0, 150.0)),
    ],
)
def test_nucleolus_of_talmud_bankruptcy_is_talmud_rule(estate: float, expected: tuple[float, ...]) -> None:
    """Nucleolus of the Talmud estate games equals the Mishna division.

    Source: Aumann, R.J. & Maschler, M. (1985) "Game theoretic analysis of a bankruptcy
    problem from the Talmud", J. Econ. Theory 36:195-213, Table 1 / Theorem A
    (claims 100, 200, 300; estates 100, 200, 300).
    """
    game = _bankruptcy(estate, [100.0, 200.0, 300.0])
    for rule in (nucleolus, prenucleolus):
        got = rule(game)
        assert [got[p] for p in game.players] == pytest.approx(list(expected), abs=1e-7)


def test_prenucleolus_peleg_sudholter_example() -> None:
    """Prenucleolus of Peleg & Sudhölter's Example 5.5.12 is (3, 3, -4) and differs from the nucleolus.

    Source: Peleg, B. & Sudhölter, P. (2007) Introduction to the Theory of Cooperative
    Games, 2nd ed., Springer, Example 5.5.12, p. 96; game v(12)=10, v(123)=2, others 0,
    as reproduced in R CoopGame 0.2.2, R/nucleolus.R (example of `prenucleolus`).
    """
    game = _vector_game((0, 0, 0, 10, 0, 0, 2), 3)
    pre = prenucleolus(game)
    assert [pre[p] for p in game.players] == pytest.approx([3.0, 3.0, -4.0], abs=1e-7)
    nuc = nucleolus(game)
    assert nuc["3"] >= -1e-9  # the nucleolus is individually rational, the prenucleolus is not


def test_per_capita_nucleolus_young_1985() -> None:
    """Per-capita nucleolus of Young's three-town cost game is (2/3, 7/6, 61/6) in savings.

    Source: Young, H.P. (1985) "Cost allocation", in Fair Allocation, Proc. Symp. Appl.
    Math. 33, AMS, p. 68; costs c(1)=15, c(2)=20, c(3)=55, c(12)=35, c(13)=61, c(23)=65,
    c(123)=78; printed result 0.6666667 1.1666667 10.1666667 as reproduced in R CoopGame
    0.2.2, R/nucleolus.R (example of `perCapitaNucleolus`).
    """
    cost = _vector_game((15, 20, 55, 35, 61, 65, 78), 3, kind="cost")
    expected = [2 / 3, 7 / 6, 61 / 6]
    sav = per_capita_nucleolus(cost.to_savings())
    assert [sav[p] for p in cost.players] == pytest.approx(expected, abs=1e-7)
    # the same rule on the cost game gives cost shares c(i) - savings
    shares = per_capita_nucleolus(cost)
    assert [shares[p] for p in cost.players] == pytest.approx(
        [15 - expected[0], 20 - expected[1], 55 - expected[2]], abs=1e-7
    )


def test_nucleolus_coopgame_four_player_example() -> None:
    """Nucleolus and prenucleolus of CoopGame's 4-player example are (3.5, 4.5, 5.5, 7.5).

    Source: R package CoopGame 0.2.2 (Staudacher & Anwander), R/nucleolus.R, printed
    examples of `nucleolus` and `prenucleolus` for v = (0,0,0,0,5,5,8,9,10,8,13,15,16,17,21).
    """
    game = _vector_game((0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21), 4)
    for rule in (nucleolus, prenucleolus):
        got = rule(game)
        assert [got[p] for p in game.players] == pytest.approx([3.5, 4.5, 5.5, 7.5], abs=1e-7)


def test_glove_game_nucleolus_is_unique_core_point() -> None:
    """Glove game: the core is the single point (1, 0, 0), so the nucleolus must be it."""
    game = Game.from_json_file(DATA / "glove_game_3p.json")
    got = nucleolus(game)
    assert [got[p] for p in game.players] == pytest.approx([1.0, 0.0, 0.0], abs=1e-7)
