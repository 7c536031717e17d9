"""The command line: exit codes, atomic outputs, all input errors at once, no secrets in output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nachtzorg.cli import main
from nachtzorg.io.writers import OUTPUT_FILES

from ..conftest import ASSEN, client, night, nurse, visit

FAST = ["--solution-limit", "40"]


def _write(tmp_path: Path, data: dict, name: str = "s.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_plan_writes_its_files_and_exits_0_when_all_served(tmp_path, capsys):
    """`nachtzorg plan` writes plan.json, routes.csv, routes.geojson, map.html (+ routes.html); exit 0."""
    data = night([client("c1", 2, 0, key_safe_code="9876", access_note="back door")],
                 [visit("v1", "c1")], shifts=[nurse("n1")])
    out = tmp_path / "out"
    assert main(["plan", str(_write(tmp_path, data)), "--out", str(out), *FAST]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    rows = list(csv.DictReader((out / "routes.csv").open()))
    assert [r["kind"] for r in rows] == ["start", "visit", "end"]
    assert rows[1]["access_note"] == "back door"
    for name in OUTPUT_FILES:
        assert "9876" not in (out / name).read_text(), f"key-safe code leaked into {name}"
    geo = json.loads((out / "routes.geojson").read_text())
    line = next(f for f in geo["features"] if f["geometry"]["type"] == "LineString")
    lon, lat = line["geometry"]["coordinates"][1]
    assert 6 < lon < 7 and 52 < lat < 54, "GeoJSON must be [lon, lat]"
    assert "c1" in (out / "map.html").read_text()
    sheet = (out / "routes.html").read_text()
    assert "back door" in sheet and "n1" in sheet


def test_plan_exits_3_when_some_visits_are_unassigned(tmp_path, capsys):
    """A written plan with an unassigned visit exits 3 and names the reason."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1", qualification=5)], shifts=[nurse("n1", level=3)])
    out = tmp_path / "out"
    assert main(["plan", str(_write(tmp_path, data)), "--out", str(out), *FAST]) == 3
    assert (out / "plan.json").exists()
    assert "no_qualified_nurse" in capsys.readouterr().out


def test_invalid_input_exits_2_lists_every_problem_and_writes_nothing(tmp_path, capsys):
    """Bad input: exit 2, one line per problem naming field and value, no output files."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1", "23:00", "22:00"), visit("v1", "ghost")])
    out = tmp_path / "out"
    assert main(["plan", str(_write(tmp_path, data)), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "visits[0].windows[0].end" in err and "visits[1].client" in err and "duplicate id 'v1'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_validate_reports_all_problems_and_missing_file(tmp_path, capsys):
    """`validate` exits 2 with every problem, and names a missing file."""
    data = night([client("c1", 1, 0, organisation="x")], [visit("v1", "c1", duration_min=-5)])
    data["visits"][0]["duration_min"] = -5
    assert main(["validate", str(_write(tmp_path, data))]) == 2
    err = capsys.readouterr().err
    assert "visits[0].duration_min" in err
    assert main(["validate", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_not_json_is_a_clear_error(tmp_path, capsys):
    """A file that is not JSON gives line and column, exit 2."""
    p = tmp_path / "bad.json"
    p.write_text("{ not json")
    assert main(["validate", str(p)]) == 2
    assert "not valid JSON (line 1" in capsys.readouterr().err


def test_schema_prints_json_schema(capsys):
    """`schema` prints a JSON Schema document."""
    assert main(["schema"]) == 0
    assert "visits" in json.loads(capsys.readouterr().out)["properties"]


def test_check_accepts_a_plan_and_rejects_a_tampered_one(tmp_path, capsys):
    """`check` exits 0 on the planner's own plan and 1 when a visit was removed from it."""
    out = tmp_path / "out"
    assert main(["plan", str(ASSEN), "--out", str(out), "--time-limit", "2"]) in (0, 3)
    assert main(["check", str(ASSEN), str(out / "plan.json")]) == 0
    plan = json.loads((out / "plan.json").read_text())
    route = next(r for r in plan["routes"] if len(r["stops"]) > 2)
    route["stops"].pop(1)
    (tmp_path / "bad_plan.json").write_text(json.dumps(plan))
    capsys.readouterr()
    assert main(["check", str(ASSEN), str(tmp_path / "bad_plan.json"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and any(v["rule"] == "missing_visit" for v in report["violations"])


@pytest.mark.parametrize("argv", [["plan", "x.json"], ["check", "only-one.json"]])
def test_usage_errors_exit_2(argv):
    """Missing arguments are usage errors (argparse exit 2)."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2


def test_plan_rejects_zero_workers_before_reading_anything(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["plan", str(tmp_path / "missing.json"), "--out", str(out), "--workers", "0"]) == 2
    assert "--workers must be >= 1, got 0" in capsys.readouterr().err
    assert not out.exists()


def test_an_internal_error_has_its_own_exit_code_and_a_traceback_file(tmp_path, capsys, monkeypatch):
    """A bug (not bad input) exits 70 with one line naming a private file that holds the traceback."""
    import nachtzorg.planner

    def boom(*a, **kw):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(nachtzorg.planner, "plan_night", boom)
    monkeypatch.setenv("NACHTZORG_CRASH_DIR", str(tmp_path))
    code = main(["plan", str(ASSEN), "--out", str(tmp_path / "out"), *FAST])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 70 and len(err) == 1 and "internal error" in err[0]
    (report,) = tmp_path.glob("nachtzorg-crash-*.txt")
    assert str(report) in err[0] and "something inside broke" in report.read_text()
    assert report.stat().st_mode & 0o077 == 0
    assert not (tmp_path / "out").exists()


def test_a_bad_output_place_fails_before_the_solve(tmp_path, capsys):
    """--out naming a file: exit 2 at once, one line, nothing planned or written."""
    f = tmp_path / "taken"
    f.write_text("x")
    code = main(["plan", str(ASSEN), "--out", str(f), "--time-limit", "60"])
    err = capsys.readouterr().err
    assert code == 2 and "not a directory" in err and err.count("\n") == 1 and f.read_text() == "x"


@pytest.mark.parametrize(("text", "message"), [
    ('{"name": "ring twice \\ud83d"}', "lone UTF-16 surrogate"),
    ("[" * 1000 + "]" * 1000, "nested deeper than"),
])
def test_validate_gives_one_line_for_broken_text_and_echoes_no_file(tmp_path, capsys, text, message):
    """A cut emoji or JSON nested 1,000 deep: one clear line naming the place, never the file's content."""
    p = tmp_path / "s.json"
    data = json.loads(ASSEN.read_text())
    data["clients"][0]["key_safe_code"] = "KSC-1-SECRET"
    body = json.dumps(data)
    p.write_text(body[:-1] + ', "x": ' + text + "}" if text.startswith("{") else text)
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert message in err and "KSC-1-SECRET" not in err and len(err) < 600 and "Traceback" not in err


def test_codes_typed_into_notes_never_reach_any_output(tmp_path, capsys):
    """Every client's key-safe code planted, and one typed into another client's note: no output
    file and no line of stdout/stderr holds any code; the CSV shows the note with the code removed."""
    data = json.loads(ASSEN.read_text())
    for i, c in enumerate(data["clients"]):
        c["key_safe_code"] = f"KSC-{i}-SECRET"
    data["clients"][1]["access_note"] = "key safe, code KSC-0-SECRET"
    out = tmp_path / "out"
    code = main(["plan", str(_write(tmp_path, data)), "--out", str(out), *FAST])
    std = capsys.readouterr()
    assert code in (0, 3)
    texts = [std.out, std.err] + [p.read_text(errors="replace") for p in out.iterdir()]
    assert not any("SECRET" in t for t in texts)
    rows = list(csv.DictReader((out / "routes.csv").open()))
    assert any("[code removed]" in r["access_note"] for r in rows)
