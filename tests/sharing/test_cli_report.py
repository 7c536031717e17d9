"""CLI (--game, --json, --out, exit codes) and report rendering."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from nachtzorg.cli import main
from nachtzorg.sharing import (
    METHODS,
    Game,
    build_report,
    nucleolus,
    shapley,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "games"
COST = DATA / "cost_game_3p_gametheoryallocation.json"
AIRPORT = DATA / "airport_ibn_ezra_4p.json"


def _run(argv: list[str]) -> tuple[int, str, str]:
    """``nachtzorg share ARGV``; returns (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["share", *argv])
    return code, out.getvalue(), err.getvalue()


def test_cli_json_shape() -> None:
    """--json prints allocations per method, core verdicts per method and least-core info."""
    code, out, err = _run(["--game", str(COST), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert set(data["allocations"]) == set(METHODS) - {"proportional_visits", "proportional_minutes"}
    assert set(data["skipped"]) == {"proportional_visits", "proportional_minutes"}
    game = Game.from_json_file(COST)
    for method, alloc in data["allocations"].items():
        assert set(alloc) == set(game.players)
        assert sum(alloc.values()) == pytest.approx(game.grand_value, abs=1e-6)
        core = data["core"][method]
        assert set(core) >= {"in_core", "most_violated_coalition", "violation"}
    assert data["allocations"]["shapley"] == pytest.approx(shapley(game), abs=1e-8)
    assert data["core_empty"] is False and data["least_core_epsilon"] < 0
    assert data["recommended"] == "nucleolus"


def test_cli_methods_comma_and_repeat_and_empty_core() -> None:
    """--method accepts comma lists and repeats; an empty core is reported with its violations."""
    code, out, _ = _run(["--game", str(AIRPORT), "--json", "--method", "shapley,prenucleolus",
                         "--method", "least_core"])
    assert code == 0
    data = json.loads(out)
    assert list(data["allocations"]) == ["shapley", "prenucleolus", "least_core"]
    assert data["core_empty"] is True
    assert data["least_core_epsilon"] == pytest.approx(100 / 3, abs=1e-6)
    core = data["core"]["least_core"]
    assert core["in_core"] is False and core["violation"] == pytest.approx(100 / 3, abs=1e-6)
    assert core["most_violated_coalition"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--game", "/nonexistent/g.json"], "cannot read game file"),
        (["--game", str(COST), "--method", "proportional_visits"], "proportional_visits"),
        (["--game", str(COST), "--method", "banzhaf"], "unknown method 'banzhaf'"),
        (["--game", str(AIRPORT), "--method", "nucleolus"], "imputation set is empty"),
        (["scenario.yaml"], "scenario.yaml: no such file"),
        ([], "give a scenario file or --game"),
    ],
)
def test_cli_bad_input_exit_2_one_line(argv: list[str], message: str) -> None:
    """Bad input exits with code 2 and one clear line on stderr, no traceback."""
    code, out, err = _run(argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_cli_text_and_atomic_html(tmp_path: Path) -> None:
    """Plain output lists every method; --out writes a complete HTML file and no temp files remain."""
    target = tmp_path / "report.html"
    code, out, _ = _run(["--game", str(COST), "--out", str(target)])
    assert code == 0
    assert "nucleolus" in out and "least-core epsilon" in out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_table_and_escaping() -> None:
    """The report has one row per organisation, correct savings, and escapes names in HTML."""
    evil = "<script>alert(1)</script>"
    values = {(evil,): 100.0, ("b&b",): 80.0, (evil, "b&b"): 150.0}
    game = Game.from_coalitions(values, players=[evil, "b&b"], kind="cost")
    nuc = nucleolus(game)
    rep = build_report(game, {"nucleolus": nuc, "shapley": shapley(game)},
                       repaired=[((evil, "b&b"), 160.0, 150.0)])
    df = rep.table
    assert list(df.index) == [evil, "b&b"]
    assert df.loc[evil, "nucleolus saving"] == pytest.approx(100.0 - nuc[evil])
    assert df.loc["b&b", "shapley saving %"] == pytest.approx(100 * 15 / 80)
    page = rep.to_html()
    assert evil not in page and "&lt;script&gt;" in page and "b&amp;b" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "Repaired coalition values" in page and "nucleolus" in rep.recommended
    md = rep.to_markdown()
    assert "| organisation |" in md and "160.00" in md


def test_report_recommends_least_core_when_core_empty() -> None:
    """With an empty core the recommendation is the least core and says the core is empty."""
    rep = build_report(Game.from_json_file(AIRPORT))
    assert rep.core_empty and rep.recommended == "least_core"
    assert "core is empty" in rep.explanation
    assert not rep.stability.loc["shapley", "in_core"]


def test_share_workers_also_run_the_grand_coalition_side_by_side(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`share SCENARIO --workers 2` hands the workers to the grand coalition's search too."""
    from nachtzorg.cli import main
    from nachtzorg.sharing.game import GameError

    seen = {}

    def capture(scenario, params, executor=None):
        seen["grand"] = params.grand
        raise GameError("stopped after reading the parameters")

    import nachtzorg.sharing

    monkeypatch.setattr(nachtzorg.sharing, "coalition_costs", capture)
    assen = Path(__file__).resolve().parents[2] / "examples" / "assen" / "scenario.json"
    assert main(["share", str(assen), "--workers", "2", "--time-limit", "3"]) == 2
    assert "stopped after reading" in capsys.readouterr().err
    assert seen["grand"].workers == 2 and seen["grand"].time_limit_s == 3
