"""benchmarks/ortools_granular_check.py: the standalone OR-Tools model it reports on is sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("vrplib")

from .conftest import benchmark_script  # noqa: E402

DATA = Path(__file__).parent / "data" / "vrptw"


def test_full_neighbourhood_descent_improves_and_respects_the_best_known(capsys) -> None:
    check = benchmark_script("ortools_granular_check")
    assert check.main([str(DATA / "C101.txt"), "--ratios", "1.0", "--time-limit", "10"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (run,) = doc["runs"]
    assert doc["instance"] == "C101" and run["ratio"] == 1.0 and not run["hit_time_limit"]
    assert run["neighbours"] > 0
    # a descent improves on its start; no plan beats the proven optimum (827.3 in tenths)
    assert 8273 <= run["objective"] < run["first_objective"]


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    check = benchmark_script("ortools_granular_check")
    with pytest.raises(SystemExit):
        check.main([str(tmp_path / "missing.txt")])
    with pytest.raises(SystemExit):
        check.main([str(DATA / "C101.txt"), "--ratios", "0"])
