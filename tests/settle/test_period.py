"""Period files: every problem named by its field, exit 2 from the CLI, no traceback, nothing written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from .conftest import PERIOD, run_cli, write_period


def _bad(tmp_path: Path, change) -> tuple[int, str, str, Path]:
    period = copy.deepcopy(PERIOD)
    change(period)
    path = write_period(tmp_path, period)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["settle", str(path), "--out", str(out)])
    return code, stdout, err, out


def _drop_orgs(p):
    del p["organisations"]


def _both_night_forms(p):
    p["nights_folder"] = "nights"


def _negative_calls(p):
    p["organisations"][1]["calls_per_night"] = -3


def _no_calls(p):
    del p["organisations"][0]["calls_per_night"]


def _bad_hour(p):
    p["organisations"][2]["calls_by_hour"] = {"25": 0.5}


def _unknown_employer(p):
    p["finance"]["employer"] = "org-x"


def _missing_night(p):
    p["nights"][1]["scenario"] = "nights/absent.json"


def _too_many_nights(p):
    p["nights"][0]["count"] = 300


def _typo(p):
    p["norm"]["minuts"] = 30


def _share_above_one(p):
    p["norm"]["share"] = 1.5


def _item_without_amount(p):
    p["fixed"]["items"][0] = {"name": "back-up", "hours_per_year": 100}


def _org_not_in_period(p):
    p["organisations"] = p["organisations"][:2]


@pytest.mark.parametrize(("change", "expected"), [
    (_drop_orgs, "organisations: required field is missing"),
    (_both_night_forms, "give nights (templates with counts) or nights_folder"),
    (_negative_calls, "organisations[1].calls_per_night"),
    (_no_calls, "give calls_per_night or calls_by_hour"),
    (_bad_hour, "hour '25'"),
    (_unknown_employer, "finance.employer: 'org-x'"),
    (_missing_night, "nights[1].scenario"),
    (_too_many_nights, "the counts add up to 465"),
    (_typo, "norm.minuts: unknown field"),
    (_share_above_one, "norm.share"),
    (_item_without_amount, "fixed.items[0]"),
    (_org_not_in_period, "organisation 'org-c' is not in the period's organisations"),
])
def test_invalid_period_exits_2_naming_the_field(tmp_path: Path, change, expected: str) -> None:
    """A bad period file: exit 2, an error line naming the field, no traceback, no output set."""
    code, stdout, err, out = _bad(tmp_path, change)
    assert code == 2, err
    assert expected in err, err
    assert err.startswith("error: ")
    assert "Traceback" not in err and stdout == ""
    assert not out.exists()


def test_missing_night_names_the_file(tmp_path: Path) -> None:
    """A night file that is not there is named with the field that points to it."""
    code, _, err, _ = _bad(tmp_path, _missing_night)
    assert code == 2 and "absent.json" in err and "no such file" in err


def test_broken_night_scenario_is_reported_with_its_field(tmp_path: Path) -> None:
    """A night file that is not a valid scenario: its field path, under the period's field."""
    path = write_period(tmp_path)
    data = json.loads((tmp_path / "nights" / "two.json").read_text())
    data["visits"][0]["duration_min"] = -5
    (tmp_path / "nights" / "two.json").write_text(json.dumps(data))
    code, stdout, err = run_cli(["settle", str(path)])
    assert code == 2 and stdout == ""
    assert "nights[1].scenario" in err and "visits[0].duration_min" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "expected"), [
    (["--method", "banzhaf"], "--method: unknown method 'banzhaf'"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--time-limit", "-1"], "--time-limit"),
])
def test_bad_options_exit_2(tmp_path: Path, argv: list[str], expected: str) -> None:
    """Bad options are refused before any work, exit 2, one line."""
    path = write_period(tmp_path)
    code, stdout, err = run_cli(["settle", str(path), *argv])
    assert code == 2 and expected in err and stdout == "" and "Traceback" not in err


def test_not_json_and_no_file(tmp_path: Path) -> None:
    """A period that is not JSON, or not there, is named."""
    bad = tmp_path / "p.json"
    bad.write_text("{nope", encoding="utf-8")
    code, _, err = run_cli(["settle", str(bad)])
    assert code == 2 and "not valid JSON" in err
    code, _, err = run_cli(["settle", str(tmp_path / "none.json")])
    assert code == 2 and "no such file" in err


def test_empty_nights_folder(tmp_path: Path) -> None:
    """A nights folder without nights is an error naming nights_folder."""
    period = copy.deepcopy(PERIOD)
    del period["nights"]
    period["nights_folder"] = "empty"
    path = write_period(tmp_path, period)
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(["settle", str(path)])
    assert code == 2 and "nights_folder" in err and "holds no .json night" in err
