"""The dispatch and simulate commands: exit codes, JSON contract, clear errors."""

from __future__ import annotations

import json

from nachtzorg.cli import main
from tests.conftest import ROOT

SCEN = str(ROOT / "examples" / "assen" / "scenario.json")
CALL = str(ROOT / "examples" / "assen" / "call.json")


def test_dispatch_json_and_bad_time(tmp_path, capsys, small_plan_files):
    """dispatch prints a JSON decision (exit 0); a time outside the night exits 2 with one line."""
    scen, plan = small_plan_files
    assert main(["dispatch", scen, plan, CALL, "--now", "02:15", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["call_id"] == "call-0213" and out["options"]
    assert main(["dispatch", scen, plan, CALL, "--now", "09:00"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "outside the night" in err[0]


def test_simulate_json_identical(capsys, small_plan_files):
    """simulate --json is identical for identical arguments and has the contracted keys."""
    scen, _ = small_plan_files
    argv = ["simulate", scen, "--nights", "3", "--nurses", "2,3", "--seed", "4", "--json"]
    assert main(argv) == 0
    a = capsys.readouterr().out
    assert main(argv) == 0
    assert a == capsys.readouterr().out
    row = json.loads(a)["results"][0]
    for key in ("nurses", "policy", "response_min", "within_norm_share", "late_visits_mean", "backup_calls_mean"):
        assert key in row
    assert set(row["response_min"]) == {"p50", "p90", "p95"}


def test_simulate_missing_file(capsys):
    """A missing scenario file exits 2 with one line."""
    assert main(["simulate", "/nope.json", "--nights", "1"]) == 2
    assert "no such file" in capsys.readouterr().err
