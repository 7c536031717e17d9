"""The dispatch and simulate commands: exit codes, JSON contract, clear errors."""

from __future__ import annotations

import json

import pytest

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


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_simulate_bad_reopt_time_exit_2(capsys, small_plan_files, value):
    """simulate checks its re-optimisation cap as dispatch does: one line, exit 2."""
    scen, _ = small_plan_files
    assert main(["simulate", scen, "--nights", "1", "--policy", "reoptimise", "--reopt-time", value]) == 2
    err = capsys.readouterr().err
    assert "--reopt-time must be" in err and err.count("\n") == 1


def test_simulate_reoptimise_on_an_over_full_night_ends(tmp_path):
    """The fuzz campaign's hang: the reoptimise policy with 2-3 nurses on the 58-visit Assen night.

    Each call's re-optimisation stops at the per-call cap; reading the start routes into OR-Tools
    (a depth-first search of its own) used to run unbounded. The subprocess timeout is a hang guard
    (the run took over 10 minutes before), not a speed claim.
    """
    import os
    import subprocess
    import sys

    argv = [sys.executable, "-c", "import sys; from nachtzorg.cli import main; sys.exit(main(sys.argv[1:]))",
            "simulate", SCEN, "--nights", "1", "--nurses", "2,3", "--seed", "19", "--policy", "reoptimise",
            "--reopt-nights", "1", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-500:]
    rows = json.loads(done.stdout)["results"]
    assert [r["nurses"] for r in rows] == [2, 3] and all(r["policy"] == "reoptimise" for r in rows)


def test_simulate_missing_file(capsys):
    """A missing scenario file exits 2 with one line."""
    assert main(["simulate", "/nope.json", "--nights", "1"]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "message"), [
    (["--reopt-time", "-1"], "--reopt-time must be"), (["--reopt-time", "0"], "--reopt-time must be"),
    (["--reopt-time", "nan"], "--reopt-time must be"), (["--reopt-time", "inf"], "--reopt-time must be"),
])
def test_dispatch_bad_options_exit_2(capsys, small_plan_files, extra, message):
    """Nonsense budgets are one clear line and exit 2, never a traceback nor silently accepted."""
    scen, plan = small_plan_files
    assert main(["dispatch", scen, plan, CALL, "--now", "02:15", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_dispatch_refuses_unknown_client_empty_events_and_a_directory_as_state_out(tmp_path, capsys, small_plan_files):
    """An unknown client in the call, an events file that is not a list, --state-out naming a
    directory: exit 2 with the reason, and no file is written anywhere."""
    scen, plan = small_plan_files
    call = tmp_path / "call.json"
    call.write_text(json.dumps({"id": "x1", "location": {"lat": 52.99, "lon": 6.56}, "client": "nobody"}))
    assert main(["dispatch", scen, plan, str(call), "--now", "02:15"]) == 2
    assert "not a client of this night" in capsys.readouterr().err
    events = tmp_path / "events.json"
    events.write_text("{}")
    assert main(["dispatch", scen, plan, CALL, "--now", "02:15", "--events", str(events)]) == 2
    assert "JSON list of events" in capsys.readouterr().err
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["dispatch", scen, plan, CALL, "--now", "02:15", "--state-out", str(out_dir)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
