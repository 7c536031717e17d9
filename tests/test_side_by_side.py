"""benchmarks/vrptw_side_by_side.py: every solver, instance and seed; means over seeds and per seed."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

pytest.importorskip("vrplib")

from .conftest import benchmark_script  # noqa: E402

DATA = Path(__file__).parent / "data" / "vrptw"


def test_every_solver_solves_every_instance_once_per_seed(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sbs.json"
    sbs = benchmark_script("vrptw_side_by_side")
    code = sbs.main([str(DATA / "C101_25.txt"), str(DATA / "C101.txt"), "--time-limit", "0.3",
                     "--solvers", "nachtzorg", "ortools-docs", "--seeds", "1", "2", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["seeds"] == [1, 2]
    keys = sorted((r["solver"], r["instance"], r["seed"]) for r in doc["rows"])
    assert keys == sorted((s, i, sd) for s in ("nachtzorg", "ortools-docs") for i in ("C101_25", "C101")
                          for sd in (1, 2))
    (summary,) = doc["summary"]
    assert summary["common_instances"] == 2 and summary["common_solves"] == 4
    for name, stats in summary["solvers"].items():
        mine = [r["gap_pct"] for r in doc["rows"] if r["solver"] == name]
        assert stats["instances"] == 2
        assert stats["mean_gap_common_pct"] == pytest.approx(statistics.fmean(mine))
        by_seed = stats["mean_gap_common_pct_by_seed"]
        assert set(by_seed) == {"1", "2"}
        assert statistics.fmean(by_seed.values()) == pytest.approx(stats["mean_gap_common_pct"])
    assert "common by seed" in capsys.readouterr().out


def test_a_seed_given_twice_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        benchmark_script("vrptw_side_by_side").main([str(DATA / "C101_25.txt"), "--seeds", "1", "1"])
    assert "each seed once" in capsys.readouterr().err
