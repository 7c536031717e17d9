"""The one solve entry: which strategy answers, determinism, parameters apart from tuning."""

from __future__ import annotations

import json

import pytest

from nachtzorg import InputError, Scenario, SolveParams, Tuning, compile_scenario
from nachtzorg.solve import solve
from nachtzorg.schedule import schedule_routes, total_cost
from nachtzorg.solve import decompose, portfolio

from ..conftest import ASSEN


@pytest.fixture(scope="module")
def assen_problem():
    return compile_scenario(Scenario.load(ASSEN)).problem


def test_same_problem_seed_and_solution_limit_give_the_same_routes(assen_problem):
    """A solution-limited solve is deterministic; its routes time feasibly."""
    params = SolveParams(time_limit_s=None, solution_limit=20, seed=2)
    a, b = solve(assen_problem, params), solve(assen_problem, params)
    assert a.routes == b.routes and schedule_routes(assen_problem, a.routes).feasible


def test_start_routes_are_improved_never_made_worse(assen_problem):
    """From given routes the search returns routes at most as dear (OR-Tools' own objective)."""
    start = solve(assen_problem, SolveParams(time_limit_s=None, solution_limit=5)).routes
    res = solve(assen_problem, SolveParams(time_limit_s=None, solution_limit=10), initial=start)
    assert total_cost(assen_problem, res.routes) <= total_cost(assen_problem, start)


def test_strategy_by_problem(monkeypatch, assen_problem):
    """Nights go to the night strategy; large plain problems without shift costs to decomposition."""
    seen = []
    monkeypatch.setattr("nachtzorg.solve.entry.solve_night", lambda p, params: seen.append("night") or "n")
    monkeypatch.setattr("nachtzorg.solve.entry.solve_decomposed", lambda p, params: seen.append("dec") or "d")
    monkeypatch.setattr("nachtzorg.solve.entry.DECOMPOSE_MIN_TASKS", 10)
    monkeypatch.setattr("nachtzorg.solve.entry.is_plain", lambda p: True)
    solve(assen_problem, SolveParams(time_limit_s=1))  # shift costs: a night
    assert seen == ["night"]
    assert decompose.DECOMPOSE_MIN_TASKS > 10 and portfolio.solve_night is not None


def test_tuning_is_apart_from_user_settings_and_loads_from_a_file(tmp_path):
    """Tuning fields live in Tuning; replace() takes them by name; a file gives a Tuning; bad
    names and values are clear errors."""
    p = SolveParams(time_limit_s=2).replace(metaheuristic="gls", seed=4)
    assert p.tuning.metaheuristic == "gls" and p.seed == 4 and p.time_limit_s == 2
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"ils_removed_visits": 20, "ils_temperature": [500, 1]}))
    t = Tuning.from_file(f)
    assert t.ils_removed_visits == 20 and t.ils_temperature == (500, 1)
    f.write_text(json.dumps({"ils_removd": 20}))
    with pytest.raises(InputError, match="unknown tuning field 'ils_removd'"):
        Tuning.from_file(f)
    for bad in (dict(time_limit_s=0), dict(time_limit_s=float("nan")), dict(time_limit_s=float("inf")),
                dict(time_limit_s=None, solution_limit=None), dict(workers=0)):
        with pytest.raises(InputError):
            SolveParams(**bad)
