"""Game construction, JSON round trip, conversions and clear input errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nachtzorg.exceptions import InputError
from nachtzorg.sharing import (
    Game,
    GameError,
    MethodNotApplicableError,
    allocate,
    proportional_minutes,
    proportional_standalone,
    proportional_visits,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "games"


def _three(**overrides: object) -> dict[str, object]:
    """A valid 3-player GAME.json dict with optional overrides."""
    data: dict[str, object] = {
        "name": "t",
        "players": ["a", "b", "c"],
        "kind": "cost",
        "values": {"a": 10, "b": 20, "c": 30, "a,b": 25, "a,c": 35, "b,c": 45, "a,b,c": 50},
        "notes": "extra keys are ignored",
    }
    data.update(overrides)
    return data


def test_json_roundtrip_and_key_order_normalised() -> None:
    """Keys in any player order are accepted; to_json_dict/from_json_dict is an identity."""
    data = _three()
    data["values"] = {"c,b": 45, "a": 10, "b": 20, "c": 30, "b,a": 25, "c,a": 35, "c, a, b": 50}
    game = Game.from_json_dict(data)
    assert game.value({"a", "b"}) == 25 and game.value(["b", "c"]) == 45
    again = Game.from_json_dict(json.loads(json.dumps(game.to_json_dict())))
    assert again == game
    assert list(game.to_json_dict()["values"])[:4] == ["a", "b", "c", "a,b"]


def test_from_coalitions_frozenset_dict_with_attributes() -> None:
    """The routing output format {frozenset: cost} plus attributes plugs in directly."""
    values = {frozenset(k.split(",")): v for k, v in _three()["values"].items()}  # type: ignore[union-attr]
    attrs = {"visits": {"a": 1, "b": 1, "c": 2}, "care_minutes": {"a": 30, "b": 60, "c": 90}}
    game = Game.from_coalitions(values, kind="cost", attributes=attrs)
    assert game.players == ("a", "b", "c")
    v = proportional_visits(game)
    assert [v[p] for p in "abc"] == pytest.approx([12.5, 12.5, 25.0])
    m = proportional_minutes(game)
    assert sum(m.values()) == pytest.approx(50.0) and m["c"] == pytest.approx(25.0)
    s = proportional_standalone(game)
    assert s["a"] / 10 == pytest.approx(s["c"] / 30)


def test_cost_savings_conversion() -> None:
    """v(S) = sum c(i) - c(S), and converting back restores the cost game."""
    game = Game.from_json_dict(_three())
    sav = game.to_savings()
    assert sav.kind == "savings"
    assert sav.value({"a", "b"}) == pytest.approx(5.0)
    assert sav.value({"a", "b", "c"}) == pytest.approx(10.0)
    assert sav.to_cost() == game
    plain = Game(sav.players, sav.values, "savings")
    with pytest.raises(MethodNotApplicableError, match="stand-alone costs"):
        plain.to_cost()


def test_shared_files_load() -> None:
    """All copied GAME.json files load (extra keys such as published/notes are ignored)."""
    for path in DATA.glob("*.json"):
        game = Game.from_json_file(path)
        assert game.n >= 3 and math.isfinite(game.grand_value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["values"].pop("a,c"), r"missing value for coalition 'a,c'"),
        (lambda d: d["values"].update({"a,x": 3}), r"unknown player 'x'"),
        (lambda d: d["values"].update({"a,b": "25"}), r"values\[.*\]: value '25' is not a number"),
        (lambda d: d["values"].update({"a,b": float("nan")}), r"is not finite"),
        (lambda d: d["values"].update({"a,b": float("inf")}), r"is not finite"),
        (lambda d: d["values"].update({"a,b": True}), r"is not a number"),
        (lambda d: d.update(players=["a", "b", "a"]), r"duplicate player 'a'"),
        (lambda d: d.update(kind="profit"), r"kind: expected 'cost' or 'savings'"),
        (lambda d: d.pop("values"), r"missing required key 'values'"),
        (lambda d: d["values"].update({"b,a": 25}), r"'a,b' is given twice"),
        (lambda d: d["values"].update({"a,a": 25}), r"names a player twice"),
        (lambda d: d.update(players=[]), r"players: the list is empty"),
        (lambda d: d.update(attributes={"visits": {"a": 1, "b": 2}}), r"attributes.visits: missing player 'c'"),
    ],
)
def test_bad_input_errors_name_the_problem(change, message: str) -> None:  # type: ignore[no-untyped-def]
    """Each malformed game raises GameError (an InputError/ValueError) naming what is wrong."""
    data = json.loads(json.dumps(_three()))
    change(data)
    with pytest.raises(GameError, match=message) as info:
        Game.from_json_dict(data)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_bad_file_errors(tmp_path: Path) -> None:
    """Unreadable files and invalid JSON raise GameError with the file named."""
    with pytest.raises(GameError, match="cannot read game file"):
        Game.from_json_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(GameError, match="bad.json: invalid JSON"):
        Game.from_json_file(bad)


def test_missing_attribute_and_unknown_method() -> None:
    """Proportional rules without their attribute and unknown method names raise clearly."""
    game = Game.from_json_dict(_three())
    with pytest.raises(MethodNotApplicableError, match="no per-player attribute 'visits'"):
        allocate(game, "proportional_visits")
    with pytest.raises(GameError, match="unknown method 'banzhaf'"):
        allocate(game, "banzhaf")
