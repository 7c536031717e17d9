"""``nachtzorg settle``: the JSON contract, the output set, the finance CSV, privacy, solver noise."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import CLIENT_PREFIX, PERIOD, SECRET_CODES, run_cli

CONTRACT = ("organisations", "coalitions", "standalone", "allocations", "core")
RULES = ("shapley", "nucleolus", "epm", "proportional_clients", "proportional_visits", "proportional_minutes",
         "proportional_calls", "proportional_inhabitants")


def test_json_contract(tiny_run) -> None:
    """--json prints the contract: organisations, coalitions keyed by sorted ids, stand-alone parts,
    allocations per rule that add up to the grand coalition, core verdicts as booleans."""
    data, _ = tiny_run
    assert set(CONTRACT) <= set(data)
    orgs = data["organisations"]
    assert orgs == sorted(o["id"] for o in PERIOD["organisations"])
    assert set(data["coalitions"]) == {"org-a", "org-b", "org-c", "org-a,org-b", "org-a,org-c", "org-b,org-c",
                                       "org-a,org-b,org-c"}
    for key, eur in data["coalitions"].items():
        assert key.split(",") == sorted(key.split(",")) and isinstance(eur, float) and eur > 0
    grand = data["coalitions"]["org-a,org-b,org-c"]
    for org in orgs:
        s = data["standalone"][org]
        assert set(s) >= {"planned_eur", "readiness_eur", "total_eur"}
        assert s["total_eur"] == pytest.approx(s["planned_eur"] + s["readiness_eur"] + s["fixed_eur"], abs=0.02)
        assert s["total_eur"] == data["coalitions"][org]
    assert set(data["allocations"]) >= set(RULES)
    for rule, alloc in data["allocations"].items():
        assert set(alloc) == set(orgs)
        assert sum(alloc.values()) == pytest.approx(grand, abs=0.05), rule
        assert isinstance(data["core"][rule], bool)
    # a stable rule in a game with a non-empty core; the saving is what the organisations alone pay more
    assert data["core"]["nucleolus"] is True
    assert data["grand"]["saving"]["total_eur"] == pytest.approx(
        sum(data["standalone"][o]["total_eur"] for o in orgs) - grand, abs=0.05)


def test_the_output_set(tiny_run) -> None:
    """--out DIR holds the report, the JSON, the finance CSV and the coalition table, nothing else."""
    data, out = tiny_run
    assert sorted(p.name for p in out.iterdir()) == ["coalitions.csv", "finance.csv", "report.html",
                                                      "settlement.json"]
    assert json.loads((out / "settlement.json").read_text()) == data


def test_finance_csv_advances_and_correction_add_up(tiny_run) -> None:
    """Per organisation: twelve equal monthly advances plus the year-end correction equal its allocation
    under the settlement rule, to the cent; the employer pays nobody."""
    data, out = tiny_run
    rows = list(csv.DictReader(io.StringIO((out / "finance.csv").read_text(encoding="utf-8"))))
    rule = data["settlement_rule"]
    assert rule == data["recommended"]
    for org in data["organisations"]:
        mine = [r for r in rows if r["organisation_id"] == org]
        adv = [r for r in mine if r["kind"] == "advance"]
        cor = [r for r in mine if r["kind"] == "correction"]
        assert len(adv) == 12 and len(cor) == 1
        assert [r["booking_date"] for r in adv] == [f"2027-{m:02d}-01" for m in range(1, 13)]
        assert len({r["amount_eur"] for r in adv}) == 1
        cents = sum(round(float(r["amount_eur"]) * 100) for r in mine)
        assert cents == round(data["allocations"][rule][org] * 100)
        assert all(r["pay_to"] == ("" if org == "org-b" else "Invented ORG-B") for r in mine)
    # advances on the clients key: the correction is what the settlement rule changes
    per_month = data["advances"]["per_month"]
    assert per_month["org-a"] == pytest.approx(data["allocations"]["proportional_clients"]["org-a"] / 12, abs=0.01)


@pytest.mark.parametrize("name", ["report.html", "finance.csv", "coalitions.csv", "settlement.json"])
def test_no_client_id_and_no_key_safe_code_anywhere(tiny_run, name: str) -> None:
    """Organisation totals only: no client id and no key-safe code in any output."""
    _, out = tiny_run
    text = (out / name).read_text(encoding="utf-8")
    assert CLIENT_PREFIX not in text
    for code in SECRET_CODES:
        assert code not in text


def test_text_summary_and_output_written_atomically(tiny_period_path: Path, tmp_path: Path) -> None:
    """Without --json a table is printed; an existing output set is replaced as a whole."""
    out = tmp_path / "set"
    out.mkdir()
    (out / "report.html").write_text("old", encoding="utf-8")
    code, stdout, err = run_cli(["settle", str(tiny_period_path), "--out", str(out), "--method", "shapley,nucleolus"])
    assert code == 0, err
    assert "shapley" in stdout and "recommended: nucleolus" in stdout
    assert (out / "report.html").read_text(encoding="utf-8") != "old"
    data = json.loads((out / "settlement.json").read_text())
    assert list(data["allocations"]) == ["shapley", "nucleolus"]


def test_a_rule_that_does_not_apply_when_asked_for_is_an_input_error(tmp_path: Path) -> None:
    """Asking for the clients key without clients in the period file: exit 2 naming the rule."""
    import copy

    from .conftest import write_period

    period = copy.deepcopy(PERIOD)
    del period["organisations"][0]["clients"]
    path = write_period(tmp_path, period)
    code, _, err = run_cli(["settle", str(path), "--method", "proportional_clients", "--json"])
    assert code == 2 and "proportional_clients" in err and "clients" in err


def test_two_solver_seeds_move_no_share_by_more_than_half_a_percent(tiny_run, tiny_period_path: Path) -> None:
    """Solver noise: another seed moves no organisation's allocation by more than 0.5 %."""
    data, _ = tiny_run
    code, stdout, err = run_cli(["settle", str(tiny_period_path), "--json", "--seed", "7",
                                 "--method", "shapley,nucleolus,epm"])
    assert code == 0, err
    other = json.loads(stdout)
    assert other["period"]["seed"] == 7 and data["period"]["seed"] == 0
    for rule in ("shapley", "nucleolus", "epm"):
        for org, eur in data["allocations"][rule].items():
            assert abs(other["allocations"][rule][org] - eur) <= 0.005 * eur, (rule, org)


def test_a_solution_limit_gives_the_same_settlement_twice(tmp_path: Path) -> None:
    """solver.solution_limit: the search does not depend on the clock, so a rerun prices every coalition the same."""
    import copy

    from .conftest import write_period

    period = copy.deepcopy(PERIOD)
    period["solver"] = {"solution_limit": 20, "seed": 3}
    path = write_period(tmp_path, period)
    runs = []
    for _ in range(2):
        code, stdout, err = run_cli(["settle", str(path), "--json", "--method", "shapley"])
        assert code == 0, err
        runs.append(json.loads(stdout))
    assert runs[0]["coalitions"] == runs[1]["coalitions"]
    assert runs[0]["allocations"] == runs[1]["allocations"]
