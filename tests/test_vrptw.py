"""VRPTW benchmark support: reader, DIMACS cost convention, independent checker, solve, bench CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

pytest.importorskip("vrplib")

from nachtzorg.cli import main  # noqa: E402
from nachtzorg.exceptions import InputError  # noqa: E402
from nachtzorg.io.vrptw import (  # noqa: E402
    _leg,
    best_known,
    check_solution,
    distance_matrix,
    read_instance,
    read_solution,
    to_problem,
)
from nachtzorg.schedule import schedule_routes  # noqa: E402
from nachtzorg.solve import SolveParams, Tuning  # noqa: E402
from nachtzorg.solve.search import search as solve_problem  # noqa: E402
from nachtzorg.solve.construct import is_plain, regret_insertion  # noqa: E402

DATA = Path(__file__).parent / "data" / "vrptw"

TINY = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      3          4          6          0         10          1
    2      6          8          6          0         50          1
    3      0          5          4         20         30          1
"""


@pytest.fixture
def tiny(tmp_path: Path):
    path = tmp_path / "TINY.txt"
    path.write_text(TINY)
    return read_instance(path)


def test_c101_best_known_routes_cost_827_3() -> None:
    inst = read_instance(DATA / "C101.txt")
    assert (inst.n_clients, inst.n_vehicles, inst.capacity) == (100, 25, 200)
    routes, stated = read_solution(DATA / "C101.sol")
    chk = check_solution(inst, routes)
    assert chk.feasible, chk.issues
    assert chk.cost_units == 8273 and chk.cost == pytest.approx(827.3) and stated == pytest.approx(827.3)
    # the compiled problem (vectorised distances) agrees with the checker's own arithmetic
    p = to_problem(inst)
    assert sum(p.route_cost(0, r) for r in routes) == 8273
    assert best_known(inst) == (827.3, str(DATA / "bks.csv"))


def test_r101_best_known_routes_fit_the_fleet() -> None:
    inst = read_instance(DATA / "R101.txt")
    routes, _ = read_solution(DATA / "R101.sol")
    chk = check_solution(inst, routes)
    assert chk.feasible, chk.issues
    assert chk.cost_units == 16377 and chk.vehicles_used == 20 <= inst.n_vehicles


def test_truncated_distances_match_leg_by_leg() -> None:
    inst = read_instance(DATA / "C101_25.txt")
    d = distance_matrix(inst)
    n = inst.n_clients + 1
    assert all(d[a, b] == _leg(inst.coords, a, b) for a in range(n) for b in range(n))
    assert d[0, 1] == 186  # sqrt(5^2 + 18^2) = 18.68 -> 18.6


def test_checker_accepts_a_good_plan_and_names_each_violation(tiny) -> None:
    good = check_solution(tiny, [[1], [3, 2]])
    assert good.feasible, good.issues
    # 0-1-0: 5 + 5; 0-3-2-0: 5 + sqrt(45) = 6.708 -> 6.7 + 10; in tenths
    assert good.cost_units == 50 + 50 + 50 + 67 + 100
    late = check_solution(tiny, [[2, 1], [3]])  # client 1 due at 10, reached after client 2
    assert any("client 1 starts" in i and "due date 10" in i for i in late.issues)
    heavy = check_solution(tiny, [[1, 2], [3]])  # 6 + 6 > 10
    assert any("load 12 exceeds capacity 10" in i for i in heavy.issues)
    missing = check_solution(tiny, [[1], [2]])
    assert any("not visited: 3" in i for i in missing.issues)
    twice = check_solution(tiny, [[1, 3], [3, 2]])
    assert any("client 3 is visited twice" in i for i in twice.issues)
    unknown = check_solution(tiny, [[1, 7], [3, 2]])
    assert any("client 7 does not exist" in i for i in unknown.issues)
    fleet = check_solution(tiny, [[1], [3], [2]])
    assert any("3 routes used" in i for i in fleet.issues)


def test_reader_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such instance file"):
        read_instance(tmp_path / "nope.txt")
    bad = tmp_path / "BAD.txt"
    bad.write_text("this is not\na Solomon instance\n")
    with pytest.raises(InputError, match="BAD.txt"):
        read_instance(bad)


def test_best_known_from_sol_beside_the_instance(tiny, tmp_path: Path) -> None:
    assert best_known(tiny) is None
    (tmp_path / "TINY.sol").write_text("Route #1: 1\nRoute #2: 3 2\nCost 30.0\n")
    assert best_known(tiny) == (30.0, str(tmp_path / "TINY.sol"))


def test_short_solve_is_deterministic_and_feasible() -> None:
    inst = read_instance(DATA / "C101_25.txt")
    params = SolveParams(time_limit_s=20, solution_limit=60, seed=0)
    a = solve_problem(to_problem(inst), params)
    b = solve_problem(to_problem(inst), params)
    assert a.routes == b.routes
    chk = check_solution(inst, [r for r in a.routes if r])
    assert chk.feasible, chk.issues
    assert chk.cost <= 1.1 * 191.3
    seeded = solve_problem(to_problem(inst), dataclasses.replace(params, seed=7))
    assert check_solution(inst, [r for r in seeded.routes if r]).feasible


def test_regret_start_and_fallback_for_night_features() -> None:
    inst = read_instance(DATA / "C101_25.txt")
    p = to_problem(inst)
    assert is_plain(p)
    start = regret_insertion(p)
    assert check_solution(inst, [r for r in start if r]).feasible
    res = solve_problem(p, SolveParams(time_limit_s=20, solution_limit=20, tuning=Tuning(first_solution="regret_insertion")))
    assert check_solution(inst, [r for r in res.routes if r]).feasible
    # a second window makes the problem non-plain: the search falls back to OR-Tools' insertion
    w = list(p.windows)
    w[5] = np.array([[0, 100], [150, 670]], dtype=np.int64)
    night_like = dataclasses.replace(p, windows=tuple(w))
    assert not is_plain(night_like)
    res = solve_problem(night_like, SolveParams(time_limit_s=20, solution_limit=20))
    assert schedule_routes(night_like, res.routes).feasible


def test_bench_cli_json_shape(capsys) -> None:
    code = main(["bench", "vrptw", str(DATA / "C101_25.txt"), "--time-limit", "20", "--solution-limit", "40",
                       "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"time_limit_s", "seed", "solution_limit", "ortools", "ils_phases", "objective", "results",
                        "summary"}
    (r,) = doc["results"]
    assert {"instance", "routes", "cost", "feasible", "issues", "bks", "gap_pct", "wall_s"} <= set(r)
    assert r["instance"] == "C101_25" and r["feasible"] and r["bks"] == 191.3
    assert sorted(c for route in r["routes"] for c in route) == list(range(1, 26))
    assert r["gap_pct"] == pytest.approx(100 * (r["cost"] - 191.3) / 191.3, abs=1e-3)
    assert doc["summary"]["feasible"] == 1


def test_bench_cli_missing_file_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    code = main(["bench", "vrptw", str(tmp_path / "missing.txt"), "--time-limit", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "missing.txt" in err and "Traceback" not in err


def test_bench_cli_bad_ortools_text_is_a_one_line_error(capsys) -> None:
    code = main(["bench", "vrptw", str(DATA / "C101_25.txt"), "--time-limit", "1", "--ortools", "no_such_field: 1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no_such_field" in err and "Traceback" not in err


def test_bench_cli_ils_phases(capsys) -> None:
    code = main(["bench", "vrptw", str(DATA / "C101_25.txt"), "--time-limit", "0.6", "--ils-phases", "2", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["ils_phases"] == 2
    code = main(["bench", "vrptw", str(DATA / "C101_25.txt"), "--time-limit", "1", "--ils-phases", "0"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "ils_phases" in err and "Traceback" not in err


def test_decomposition_never_worsens_the_start_and_stays_feasible() -> None:
    from nachtzorg.problem import restrict_vehicles
    from nachtzorg.solve.decompose import _cost, _groups, solve_decomposed

    inst = read_instance(DATA / "R101.txt")
    p = to_problem(inst)
    start = [r for r in regret_insertion(p) if r]
    res = solve_decomposed(p, SolveParams(time_limit_s=3.0), group_size=30, group_time_s=0.3)
    routes = [r for r in res.routes if r]
    assert sorted(n for r in routes for n in r) == sorted(n for r in start for n in r)
    assert len(routes) <= p.n_vehicles and res.objective == _cost(p, routes)
    assert res.objective < _cost(p, start) and res.stats["groups_improved"] >= 1
    chk = check_solution(inst, [[int(c) for c in r] for r in routes])
    assert chk.feasible, chk.issues
    # Groups partition the routes; the vehicle restriction keeps the chosen vehicles only.
    groups = _groups(p, start, 30, np.random.default_rng(0))
    assert sorted(i for g in groups for i in g) == list(range(len(start)))
    sub = restrict_vehicles(p, [3, 1])
    assert sub.n_vehicles == 2 and sub.start_node.tolist() == p.start_node[[3, 1]].tolist()


def test_decomposition_falls_back_for_night_problems() -> None:
    from nachtzorg.problem import compile_scenario
    from nachtzorg.solve.decompose import solve_decomposed
    from nachtzorg.synthetic import generate_night

    p = compile_scenario(generate_night(12, 2, seed=3, two_nurse_share=1.0)).problem
    assert not is_plain(p)
    res = solve_decomposed(p, SolveParams(time_limit_s=None, solution_limit=5))
    assert "groups_tried" not in res.stats  # the whole-problem solver answered


def test_ortools_overrides_merge_over_our_settings() -> None:
    from nachtzorg.solve.search import search_parameters

    text = ("local_search_operators { use_exchange: BOOL_FALSE } iterated_local_search_parameters "
            "{ ruin_recreate_parameters { recreate_strategy { heuristic: SEQUENTIAL_CHEAPEST_INSERTION } } }")
    base = search_parameters(SolveParams())
    sp = search_parameters(SolveParams(tuning=Tuning(ortools_overrides=text)))
    assert base.local_search_operators.use_exchange != sp.local_search_operators.use_exchange
    rr = sp.iterated_local_search_parameters.ruin_recreate_parameters
    assert rr.recreate_strategy.heuristic != base.iterated_local_search_parameters.ruin_recreate_parameters \
        .recreate_strategy.heuristic
    assert len(rr.ruin_strategies) == 1 and rr.ruin_strategies[0].sisr.avg_num_removed_visits == 10  # ours kept
    with pytest.raises(InputError, match="ortools_overrides.*no field named \"use_exchang\""):
        SolveParams(tuning=Tuning(ortools_overrides="local_search_operators { use_exchang: BOOL_FALSE }"))
    inst = read_instance(DATA / "C101_25.txt")
    res = solve_problem(to_problem(inst), SolveParams(time_limit_s=0.3, tuning=Tuning(ortools_overrides=text)))
    assert check_solution(inst, [r for r in res.routes if r]).feasible


def test_lean_descent_leaves_out_two_operators_and_yields_to_overrides() -> None:
    from nachtzorg.solve.search import search_parameters

    ops = search_parameters(SolveParams()).local_search_operators
    lean = search_parameters(SolveParams(tuning=Tuning(lean_descent=True))).local_search_operators
    off = pywrapcp.BOOL_FALSE
    assert ops.use_exchange != off and ops.use_relocate_expensive_chain != off
    assert lean.use_exchange == off and lean.use_relocate_expensive_chain == off
    assert lean.use_cross == ops.use_cross and lean.use_relocate == ops.use_relocate  # nothing else changes
    back = search_parameters(SolveParams(tuning=Tuning(lean_descent=True, ortools_overrides="local_search_operators "
                                         "{ use_exchange: BOOL_TRUE }"))).local_search_operators
    assert back.use_exchange == pywrapcp.BOOL_TRUE and back.use_relocate_expensive_chain == off


def test_ruin_size_follows_route_length() -> None:
    from nachtzorg.solve.search import RUIN_LONG, RUIN_SHORT, ruin_size, search_parameters

    assert ruin_size(None) == ruin_size([[], []]) == RUIN_SHORT
    assert ruin_size([list(range(14)), [], list(range(16))]) == RUIN_LONG  # mean 15; empty routes ignored
    assert ruin_size([list(range(14)), list(range(15))]) == RUIN_SHORT
    sisr = (search_parameters(SolveParams(tuning=Tuning(ils_removed_visits=12)))
            .iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies[0].sisr)
    assert (sisr.avg_num_removed_visits, sisr.max_removed_sequence_size) == (12, 12)
    with pytest.raises(InputError, match="ils_removed_visits"):
        SolveParams(tuning=Tuning(ils_removed_visits=0))
    # Automatic: C101's tight windows give short routes; with loose windows and a large
    # capacity the same clients fit in a few long routes and get the long-route ruin.
    p = to_problem(read_instance(DATA / "C101_25.txt"))
    short = solve_problem(p, SolveParams(time_limit_s=0.3))
    assert short.stats["ruin_size"] == RUIN_SHORT
    horizon = int(p.windows[0][-1, 1])
    loose = dataclasses.replace(
        p, windows=tuple(np.array([[0, horizon]], dtype=np.int64) for _ in p.windows),
        service=np.minimum(p.service, 100), capacity=np.full_like(p.capacity, 10_000))
    long_ = solve_problem(loose, SolveParams(time_limit_s=0.3))
    assert long_.stats["ruin_size"] == RUIN_LONG
    assert "ruin_size" not in solve_problem(p, SolveParams(time_limit_s=0.3, tuning=Tuning(ils_removed_visits=5))).stats
    # The automatic start follows the same routes: parallel savings on long routes only.
    assert short.stats["parallel_savings_start"] == 0.0
    assert long_.stats["parallel_savings_start"] == 1.0
    assert sorted(n for r in long_.routes for n in r) == list(range(1, p.n_nodes))  # every client served
    fixed = solve_problem(loose, SolveParams(time_limit_s=0.3, tuning=Tuning(first_solution="savings")))
    assert "parallel_savings_start" not in fixed.stats


def test_long_routes_and_parallel_savings_start() -> None:
    from nachtzorg.solve.search import long_routes, search_parameters

    assert not long_routes(None) and not long_routes([[], []])
    assert long_routes([list(range(14)), [], list(range(16))])  # mean 15; empty routes ignored
    assert not long_routes([list(range(14)), list(range(15))])
    fs = routing_enums_pb2.FirstSolutionStrategy
    ps = SolveParams(tuning=Tuning(first_solution="parallel_savings"))
    assert search_parameters(ps).first_solution_strategy == fs.PARALLEL_SAVINGS
    # The automatic choice goes through first_solution, so an override still wins (screen.py
    # compares the old start this way: 'first_solution_strategy: SAVINGS').
    old = ps.replace(ortools_overrides="first_solution_strategy: SAVINGS")
    assert search_parameters(old).first_solution_strategy == fs.SAVINGS


def test_ils_phases_rule_and_validation() -> None:
    from nachtzorg.solve.search import ILS_PHASE_S, ils_phases

    p = to_problem(read_instance(DATA / "C101_25.txt"))
    assert ils_phases(p, SolveParams(time_limit_s=1)) == 1
    assert ils_phases(p, SolveParams(time_limit_s=2 * ILS_PHASE_S - 0.1)) == 1
    assert ils_phases(p, SolveParams(time_limit_s=2 * ILS_PHASE_S)) == 2
    assert ils_phases(p, SolveParams(time_limit_s=10)) == 3
    assert ils_phases(p, SolveParams(time_limit_s=10, tuning=Tuning(ils_phases=1))) == 1
    assert ils_phases(p, SolveParams(time_limit_s=1, tuning=Tuning(ils_phases=4))) == 4
    # one phase from given routes, without a time limit, with another metaheuristic, off plain problems
    assert ils_phases(p, SolveParams(time_limit_s=10), [[1]]) == 1
    assert ils_phases(p, SolveParams(time_limit_s=None, solution_limit=5)) == 1
    assert ils_phases(p, SolveParams(time_limit_s=10, tuning=Tuning(metaheuristic="gls"))) == 1
    late = dataclasses.replace(p, max_late=np.full_like(p.max_late, 5))
    assert not is_plain(late) and ils_phases(late, SolveParams(time_limit_s=10)) == 1
    with pytest.raises(InputError, match="ils_phases"):
        SolveParams(tuning=Tuning(ils_phases=0))


def test_ils_phases_share_the_limit_and_serve_everyone() -> None:
    inst = read_instance(DATA / "C101_25.txt")
    res = solve_problem(to_problem(inst), SolveParams(time_limit_s=0.9, tuning=Tuning(ils_phases=3)))
    assert res.stats["ils_phases"] == 3
    assert res.wall_s < 1.8  # one budget shared, not 0.9 s per phase
    chk = check_solution(inst, [r for r in res.routes if r])
    assert chk.feasible, chk.issues
    assert chk.cost <= 1.1 * 191.3


def test_ils_phases_cool_on_and_keep_the_best(monkeypatch) -> None:
    import nachtzorg.solve.search as search
    from nachtzorg.exceptions import SolverError
    from nachtzorg.solve import SolveResult

    p = to_problem(read_instance(DATA / "C101_25.txt"))
    calls: list[tuple[SolveParams, object]] = []

    def fake(objectives):
        def run(problem, params, initial_routes=None):
            calls.append((params, initial_routes))
            k = len(calls) - 1
            if objectives[k] is None:
                raise SolverError("no solution")
            return SolveResult([[k + 1]], objectives[k], "timeout", 0.01, 0.0, {"search_s": 0.01})
        return run

    monkeypatch.setattr(search, "search", fake([100, 120, 90]))
    res = search._search_in_phases(p, SolveParams(time_limit_s=3, tuning=Tuning(ils_temperature=(1000.0, 1.0))), 3)
    temps = [c[0].tuning.ils_temperature for c in calls]
    assert [t[0] for t in temps] == pytest.approx([1000, 100, 10])
    assert [t[1] for t in temps] == pytest.approx([100, 10, 1])  # each phase cools on from the last
    assert [c[1] for c in calls] == [None, [[1]], [[1]]]  # warm from the best so far, not the last
    assert all(c[0].tuning.ils_phases == 1 for c in calls)
    assert [c[0].tuning.lean_descent for c in calls] == [False, True, True]  # the first phase keeps every operator
    assert (res.routes, res.objective, res.stats["ils_phases"]) == ([[3]], 90, 3)

    calls.clear()
    monkeypatch.setattr(search, "search", fake([100, None, 90]))
    res = search._search_in_phases(p, SolveParams(time_limit_s=3), 3)
    assert (res.routes, res.objective, res.stats["ils_phases"]) == ([[1]], 100, 1)  # a failed phase ends it


def test_bench_cli_vehicles_first_against_the_hierarchical_best_known(capsys) -> None:
    """``--objective vehicles``: C101 (best known 10 vehicles, 828.94) is solved with the fewest
    vehicles first; the result names the vehicles, the double-precision distance and its gap."""
    from nachtzorg.io.vrptw import best_known_vehicles, double_distance, read_instance

    assert best_known_vehicles(DATA / "C101.txt")[:2] == (10, 828.94)
    code = main(["bench", "vrptw", str(DATA / "C101.txt"), "--time-limit", "30", "--solution-limit", "60",
                 "--objective", "vehicles", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    (r,) = doc["results"]
    assert doc["objective"] == "vehicles" and r["feasible"] and r["bks_vehicles"] == 10
    assert r["vehicles_used"] >= 10 and r["distance_double"] == pytest.approx(
        double_distance(read_instance(DATA / "C101.txt"), r["routes"]), abs=0.01)
    assert doc["summary"]["vehicles"] == r["vehicles_used"] and doc["summary"]["bks_vehicles"] == 10
    if r["vehicles_used"] == 10:
        assert r["gap_pct"] == pytest.approx(100 * (r["distance_double"] - 828.94) / 828.94, abs=1e-3)
