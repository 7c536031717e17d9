"""benchmarks/screen.py: variants side by side, results per seed, bad settings refused early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("vrplib")

from .conftest import benchmark_script  # noqa: E402

DATA = Path(__file__).parent / "data" / "vrptw"


def test_vrptw_screen_runs_every_variant_with_every_seed(tmp_path: Path, capsys) -> None:
    out = tmp_path / "s.json"
    screen = benchmark_script("screen")
    code = screen.main(["vrptw", str(DATA / "C101_25.txt"), "--time-limit", "0.2", "--seeds", "1", "2",
                        "--procs", "1", "--variant", "noex=local_search_operators { use_exchange: BOOL_FALSE }",
                        "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert [r["variant"] for r in doc["rows"]] == ["current", "noex"]
    for r in doc["rows"]:
        assert set(r["gaps"]) == {"C101_25/1", "C101_25/2"} and r["infeasible"] == 0
        assert r["mean_gap_pct"] == pytest.approx(sum(r["per_seed"].values()) / 2, abs=1e-3)
    assert "noex: mean gap" in capsys.readouterr().out


def test_screen_refuses_bad_settings_and_references(tmp_path: Path) -> None:
    screen = benchmark_script("screen")
    with pytest.raises(SystemExit, match="--variant bad: .*no_such_field"):
        screen.main(["vrptw", "--variant", "bad=no_such_field: 1"])
    with pytest.raises(SystemExit, match="NAME=TEXT"):
        screen.main(["vrptw", "--variant", "current=solution_limit: 3"])
    ref = tmp_path / "ref.txt"
    ref.write_text("seed 1 visits 30: ...\n[\n {\"seed\": 1, \"visits\": 30, \"long\": {\"objective\": 990}}\n]\n")
    assert screen._reference(ref) == {(1, 30): 990}
    ref.write_text("no table here\n")
    with pytest.raises(SystemExit, match="not night_short_vs_long.py output"):
        screen._reference(ref)
