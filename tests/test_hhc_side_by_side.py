"""benchmarks/hhc_side_by_side.py: the plain OR-Tools reference gives plans the evaluator accepts,
and the script's table and JSON carry every instance and solver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nachtzorg.io.hhc import best_known_hhc, evaluate_hhc, read_hhc

from .conftest import benchmark_script

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "hhc"
A1, A2 = DATA / "InstanzCPLEX_HCSRP_10_1.txt", DATA / "InstanzCPLEX_HCSRP_10_2.txt"


@pytest.fixture(scope="module")
def sbs():
    return benchmark_script("hhc_side_by_side")


def test_reference_plans_a1_validly_and_not_below_the_proven_optimum(sbs) -> None:
    """The reference on A1 (bounded by a solution count) is valid and deterministic, and its objective
    is not below A1's proven optimum 218.2 (a lower value would mean a rule is not enforced)."""
    inst = read_hhc(A1)
    routes = sbs.run_ortools_reference(inst, None, 0, solution_limit=20)
    ev = evaluate_hhc(inst, routes)
    assert ev.valid, str(ev)
    assert len(routes) == inst.n_caregivers
    assert ev.objective >= best_known_hhc(inst) - 0.01
    assert sbs.run_ortools_reference(inst, None, 0, solution_limit=20) == routes


def test_script_prints_table_subsets_and_json(sbs, tmp_path: Path, monkeypatch, capsys) -> None:
    """main() runs every solver on every instance and writes rows (routes included), subset means and labels."""
    monkeypatch.setattr(sbs, "SOLVERS", {
        "ortools-plain": lambda inst, tl, seed: sbs.run_ortools_reference(inst, None, seed, solution_limit=10),
        "nothing": lambda inst, tl, seed: []})
    out = tmp_path / "hhc.json"
    assert sbs.main([str(A1), str(A2), "--time-limit", "1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [(r["instance"], r["solver"]) for r in doc["rows"]] == [
        ("A1", "ortools-plain"), ("A1", "nothing"), ("A2", "ortools-plain"), ("A2", "nothing")]
    ok = [r for r in doc["rows"] if r["solver"] == "ortools-plain"]
    assert all(r["valid"] and r["gap_pct"] is not None and r["routes"] for r in ok)
    assert all(not r["valid"] and r["gap_pct"] is None for r in doc["rows"] if r["solver"] == "nothing")
    a = doc["subsets"]["A"]
    assert a["ortools-plain"]["valid"] == 2 and a["nothing"]["valid"] == 0
    assert a["ortools-plain"]["mean_gap_pct"] == pytest.approx(sum(r["gap_pct"] for r in ok) / 2)
    assert a["ortools-plain"]["common_instances"] == 0  # "nothing" solved none
    assert a["ortools-plain"]["ratio_to_reference"] is None and doc["reference"] == "ortools-plain"
    text = capsys.readouterr().out
    assert "A1" in text and "no solution" in text
    printed = json.loads(text[text.index("\n{") + 1:])
    assert "routes" not in printed["rows"][0] and printed["subsets"] == doc["subsets"]


def test_no_tmax_variant_is_valid_and_scored_on_the_full_objective(sbs) -> None:
    """The variant without the maximum-tardiness dimension also gives a valid A2 plan; its objective
    (by the evaluator, max tardiness included) is not below A2's proven optimum 246.6."""
    inst = read_hhc(A2)
    assert sbs.SOLVERS["ortools-plain-no-tmax"].keywords == {"max_tardiness": False}
    routes = sbs.run_ortools_reference(inst, None, 0, solution_limit=20, max_tardiness=False)
    ev = evaluate_hhc(inst, routes)
    assert ev.valid, str(ev)
    assert ev.objective >= best_known_hhc(inst) - 0.01


def test_labels_follow_the_subsets(sbs) -> None:
    """File sizes map to Mankowska et al.'s subsets A..G with the file's number."""
    assert sbs.label(read_hhc(A2)) == "A2"
    assert sbs.label(read_hhc(DATA / "InstanzVNS_HCSRP_300_2.txt")) == "G2"


def test_a_malformed_instance_is_a_clear_error_not_a_traceback(sbs, tmp_path: Path, capsys) -> None:
    """A bad instance file ends the script with exit code 2 and the reader's message."""
    bad = tmp_path / "bad.txt"
    bad.write_text("nbNodes\n12\n")
    assert sbs.main([str(bad)]) == 2
    assert "missing" in capsys.readouterr().err
