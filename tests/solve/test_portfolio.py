"""The night portfolio's route elimination: doing without the nurse with the fewest visits."""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from nachtzorg import Scenario
from nachtzorg.exceptions import InputError
from nachtzorg.problem import Problem, compile_scenario
from nachtzorg.schedule import schedule_routes, total_cost
from nachtzorg.solve import SolveParams, Tuning
from nachtzorg.solve import fleet, portfolio
from nachtzorg.solve.fleet import eliminate_route, minimise_routes, scratch_candidates, spare_nurses, without_route
from nachtzorg.solve.portfolio import solve_night

from ..conftest import client, night, nurse, visit


def _problem(data: dict[str, Any]) -> Problem:
    return compile_scenario(Scenario.model_validate(copy.deepcopy(data))).problem


def _six_loose_visits() -> Problem:
    """Six visits one nurse can do all night, three nurses on shift."""
    return _problem(night([client(f"c{i}", i, 1) for i in range(6)],
                          [visit(f"v{i}", f"c{i}", "23:00", "06:00", 20) for i in range(6)],
                          shifts=[nurse("n1"), nurse("n2"), nurse("n3")]))


def _three_parallel_visits() -> Problem:
    """Three visits at the same hour, 8 km apart: each needs her own nurse."""
    return _problem(night([client("c0", 8, 0), client("c1", -8, 0), client("c2", 0, 8)],
                          [visit(f"v{i}", f"c{i}", "01:00", "01:10", 30) for i in range(3)],
                          shifts=[nurse("n1"), nurse("n2"), nurse("n3")]))


def _routes_by_task(p: Problem, tasks_per_route: list[list[int]]) -> list[list[int]]:
    """Routes visiting the given tasks in order (first copy of each), padded to the fleet size."""
    routes = [[p.task_nodes[t][0] for t in ts] for ts in tasks_per_route]
    return routes + [[] for _ in range(p.n_vehicles - len(routes))]


def test_without_route_takes_the_nurse_off_and_both_copies_of_her_two_nurse_visit():
    data = night([client("c1", 2, 0), client("c2", -2, 0), client("c3", 0, 2)],
                 [visit("hoist", "c1", "00:00", "01:00", 30, nurses=2), visit("v2", "c2"), visit("v3", "c3")],
                 shifts=[nurse("n1"), nurse("n2"), nurse("n3")])
    p = _problem(data)
    hoist = next(t for t, nodes in enumerate(p.task_nodes) if len(nodes) == 2)
    a, b = p.task_nodes[hoist]
    other = [p.task_nodes[t][0] for t in range(p.n_tasks) if t != hoist]
    routes = [[a, other[0]], [b], [other[1]]]
    reduced, rest = without_route(p, routes, 0)
    assert rest == [[], [], [other[1]]]  # her route, and the partner copy b on nurse 1
    assert 0 not in reduced.allowed_vehicles(other[1]) and 0 not in reduced.allowed_vehicles(a)
    assert list(reduced.allowed_vehicles(other[1])) == [1, 2]
    assert (p.vehicle_level == compile_scenario(Scenario.model_validate(data)).problem.vehicle_level).all()


def test_route_elimination_finds_the_plan_with_one_nurse_fewer():
    """Six loose visits on three routes: a nurse is spared (the first, on a tie: every nurse's
    visits fit elsewhere), and the search may spare more (one nurse can do all six)."""
    p = _six_loose_visits()
    routes = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    cost = total_cost(p, routes)
    better = eliminate_route(p, routes, cost, SolveParams(time_limit_s=0.3), 0.3)
    assert better is not None
    new_routes, new_cost, reduced = better
    assert all(0 not in reduced.allowed_vehicles(n) for r in new_routes for n in r)
    assert new_cost < cost and new_cost == total_cost(p, new_routes)
    assert new_routes[0] == [] and sum(1 for r in new_routes if r) <= 2
    assert sorted(n for r in new_routes for n in r) == sorted(n for r in routes for n in r)
    assert schedule_routes(p, new_routes).feasible


def test_route_elimination_keeps_a_nurse_that_is_needed():
    """Three visits at the same hour far apart: no nurse can be spared, so no plan comes back."""
    p = _three_parallel_visits()
    routes = _routes_by_task(p, [[0], [1], [2]])
    assert schedule_routes(p, routes).feasible
    assert eliminate_route(p, routes, total_cost(p, routes), SolveParams(time_limit_s=0.3), 0.3) is None


def test_solve_night_tries_route_elimination_only_with_a_time_limit():
    p = _six_loose_visits()
    timed = solve_night(p, SolveParams(time_limit_s=0.5))
    assert "route_eliminated" in timed.stats
    assert schedule_routes(p, timed.routes).feasible
    assert sum(1 for r in timed.routes if r) == 1  # one nurse does all six (fixed cost >> km)
    fixed = solve_night(p, SolveParams(time_limit_s=None, solution_limit=30))
    assert "route_eliminated" not in fixed.stats


def test_spare_nurses_takes_off_every_nurse_whose_visits_fit_elsewhere():
    """Six loose visits on three routes: our insertion alone puts them all on one nurse."""
    p = _six_loose_visits()
    routes = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    spared = spare_nurses(p, routes)
    assert sum(1 for r in spared if r) == 1
    assert total_cost(p, spared) < total_cost(p, routes) - 2 * int(p.fixed_cost[0]) + 1
    assert sorted(n for r in spared for n in r) == sorted(n for r in routes for n in r)
    assert schedule_routes(p, spared).feasible


def test_spare_nurses_keeps_routes_when_no_nurse_can_be_spared():
    p = _three_parallel_visits()
    routes = _routes_by_task(p, [[0], [1], [2]])
    assert spare_nurses(p, routes) == routes


def test_scratch_candidates_build_the_night_anew_without_the_last_nurse_of_each_kind():
    """Two level-4 nurses and one level-3 nurse: one night without nurse 1 (the last level-4
    nurse) and one without nurse 2, each with that nurse off and all six visits placed."""
    p = _problem(night([client(f"c{i}", i, 1) for i in range(6)],
                       [visit(f"v{i}", f"c{i}", "23:00", "06:00", 20) for i in range(6)],
                       shifts=[nurse("n1"), nurse("n2"), nurse("n3", level=3)]))
    routes = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    cands = scratch_candidates(p, routes)
    assert sorted(v for _, _, v, _, _ in cands) == [1, 2]
    for left_over, _, v, reduced, fresh in cands:
        assert left_over == 0 and fresh[v] == []
        assert sorted(n for r in fresh for n in r) == sorted(n for r in routes for n in r)
        assert all(v not in reduced.allowed_vehicles(n) for r in fresh for n in r)
        assert schedule_routes(reduced, fresh).feasible


def test_elimination_starts_from_a_night_built_anew_only_when_it_leaves_fewer_visits_over(monkeypatch):
    """The start handed to the search: the plan-derived one unless it leaves visits over and a
    night built anew without one nurse leaves fewer (here: none)."""
    pf = fleet

    p = _six_loose_visits()
    routes = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    seen: list[list[list[int]]] = []
    monkeypatch.setattr(pf, "improve", lambda problem, within, start, *a: seen.append(start))
    plan_derived = pf.spare_candidates(p, routes)
    assert plan_derived[0][0] == 0  # the six visits fit on two routes: no night built anew needed
    calls: list[int] = []
    real_scratch = pf.scratch_candidates
    monkeypatch.setattr(pf, "scratch_candidates", lambda *a: calls.append(1) or real_scratch(*a))
    pf.eliminate_route(p, routes, total_cost(p, routes), SolveParams(time_limit_s=0.1), 0.1)
    assert calls == [] and seen == [plan_derived[0][4]]

    worse = [(3, *c[1:]) for c in plan_derived]  # pretend every plan-derived start leaves 3 over
    monkeypatch.setattr(pf, "spare_candidates", lambda *a: worse)
    seen.clear()
    pf.eliminate_route(p, routes, total_cost(p, routes), SolveParams(time_limit_s=0.1), 0.1)
    assert calls == [1] and len(seen) == 1
    fresh = seen[0]
    assert fresh[2] == [] and sorted(n for r in fresh for n in r) == sorted(n for r in routes for n in r)


def _free_nurses_night(two_nurse: bool = True) -> Problem:
    """Seven visits (one of them for two nurses when ``two_nurse``), three nurses without a fixed
    cost, so no route elimination: the portfolio is its runs alone."""
    clients = [client(f"c{i}", (i % 3) * 3 - 3, (i // 3) * 3 - 3) for i in range(7)]
    visits = [visit(f"v{i}", f"c{i}", "23:00", "06:00", 20) for i in range(6)]
    visits.append(visit("hoist", "c6", "00:00", "02:00", 30, nurses=2 if two_nurse else 1))
    return _problem(night(clients, visits, shifts=[nurse(f"n{i}", cost_per_shift_eur=0) for i in range(3)]))


def _record_runs(monkeypatch: pytest.MonkeyPatch, log_file: Path) -> None:
    """Each portfolio run appends its process id and time limit to ``log_file`` (forked workers
    inherit the patch)."""
    real = portfolio.search

    def recording(problem: Problem, params: SolveParams, *a: Any):
        with open(log_file, "a") as f:
            f.write(f"{os.getpid()} {params.time_limit_s}\n")
        return real(problem, params, *a)

    monkeypatch.setattr(portfolio, "search", recording)
    monkeypatch.setattr(fleet, "search", recording)  # route elimination's runs too


def test_side_by_side_runs_each_get_the_whole_budget_in_their_own_process(tmp_path, monkeypatch):
    p = _free_nurses_night()
    assert not p.fixed_cost.any()
    log_file = tmp_path / "runs.txt"
    _record_runs(monkeypatch, log_file)
    res = solve_night(p, SolveParams(time_limit_s=0.6, workers=2))
    runs = [line.split() for line in log_file.read_text().splitlines()]
    assert len(runs) == 2 and len({pid for pid, _ in runs}) == 2 and str(os.getpid()) in {pid for pid, _ in runs}
    assert all(float(t) > 0.5 for _, t in runs)
    assert {"cost_insertion+ortools", "cost_ortools"} <= set(res.stats)
    assert schedule_routes(p, res.routes).feasible and res.objective == total_cost(p, res.routes)
    # One process: the same two runs one after the other, half the budget each.
    log_file.unlink()
    solve_night(p, SolveParams(time_limit_s=0.6))
    runs = [line.split() for line in log_file.read_text().splitlines()]
    assert len(runs) == 2 and {pid for pid, _ in runs} == {str(os.getpid())}
    assert all(float(t) < 0.35 for _, t in runs)


def test_extra_workers_run_or_tools_start_with_the_next_seeds(tmp_path, monkeypatch):
    p = _free_nurses_night(two_nurse=False)
    res = solve_night(p, SolveParams(time_limit_s=0.4, workers=3, seed=5))
    assert {"cost_ortools", "cost_ortools seed +1", "cost_ortools seed +2"} <= set(res.stats)
    assert res.objective == min(v for k, v in res.stats.items() if k.startswith("cost_"))
    # Without two-nurse visits, fixed costs or workers there is nothing to combine: one plain run.
    assert solve_night(p, SolveParams(time_limit_s=0.2)).status not in res.stats


def test_a_failed_worker_costs_its_runs_not_the_night(monkeypatch, caplog):
    p = _free_nurses_night()
    parent, real = os.getpid(), portfolio._run_chain

    def lost_in_workers(*args: Any, **kw: Any):
        if os.getpid() != parent:
            raise RuntimeError("worker lost")
        return real(*args, **kw)

    monkeypatch.setattr(portfolio, "_run_chain", lost_in_workers)
    with caplog.at_level(logging.WARNING, logger="nachtzorg.solve.portfolio"):
        res = solve_night(p, SolveParams(time_limit_s=0.4, workers=2))
    assert "cost_insertion+ortools" in res.stats and "cost_ortools" not in res.stats
    assert "worker lost" in caplog.text
    assert schedule_routes(p, res.routes).feasible


def test_workers_must_be_positive():
    with pytest.raises(InputError, match="workers must be >= 1, got 0"):
        SolveParams(workers=0)


def test_a_single_run_pauses_halfway_for_route_minimisation(tmp_path, monkeypatch):
    """A start that leaves every visit out: route minimisation cannot start from it, so the one
    run stops halfway, its plan serves all six visits, and route minimisation starts from
    there. Without route minimisation the run goes on to the end."""
    p = _six_loose_visits()
    empty: list[list[int]] = [[] for _ in range(p.n_vehicles)]
    params = SolveParams(time_limit_s=0.6)
    whole = portfolio._run_chain(p, params, [("ortools", None)], empty, 0.6, False)
    assert "route_eliminated" not in whole.stats and set(whole.plans) == {"insertion", "ortools"}
    log_file = tmp_path / "runs.txt"
    _record_runs(monkeypatch, log_file)
    paused = portfolio._run_chain(p, params, [("ortools", None)], empty, 0.6, True)
    assert "route_eliminated" in paused.stats
    first = float(log_file.read_text().splitlines()[0].split()[1])
    assert 0.2 < first < 0.35  # half of the budget
    assert all(_served_all_six(p, routes) for name, routes in paused.plans.items() if name != "insertion")


def _served_all_six(p: Problem, routes: list[list[int]]) -> bool:
    return sorted(n for r in routes for n in r) == sorted(x for nodes in p.task_nodes for x in nodes)


def test_plan_chains_gives_one_worker_to_route_elimination_when_our_start_serves_every_visit():
    ins, ort = ("insertion+ortools", [[1]]), ("ortools", None)
    first, elimination = portfolio._plan_chains([ins, ort], True, True, 2)
    assert first.specs == [ins] and not first.may_eliminate and not first.pause
    assert elimination.may_eliminate and elimination.elimination_share == portfolio.ELIMINATION_CHAIN_SHARE
    paused, other = portfolio._plan_chains([ins, ort], False, True, 2)
    assert paused.specs == [ins] and paused.may_eliminate and paused.pause
    assert other.specs == [ort] and not other.may_eliminate
    chains = portfolio._plan_chains([ort], False, False, 3)
    assert [c.specs[0][0] for c in chains] == ["ortools", "ortools seed +1", "ortools seed +2"]
    assert [c.seed_plus for c in chains] == [0, 1, 2] and not any(c.may_eliminate for c in chains)


def test_the_route_elimination_chain_spends_its_budget_on_the_attempt(tmp_path, monkeypatch):
    p = _six_loose_visits()
    start = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    log_file = tmp_path / "runs.txt"
    _record_runs(monkeypatch, log_file)
    params = SolveParams(time_limit_s=0.6)
    out = portfolio._run_chain(p, params, [("ortools", None)], start, 0.6, True, False,
                               portfolio.ELIMINATION_CHAIN_SHARE)
    assert out.stats["route_eliminated"] >= 1.0
    assert min(out.costs, key=out.costs.__getitem__) == "route elimination"
    attempt = float(log_file.read_text().splitlines()[0].split()[1])
    assert attempt == pytest.approx(0.6 * portfolio.ELIMINATION_SHARE, rel=0.05)  # one attempt's share


def test_route_minimisation_takes_nurses_off_one_after_another_down_to_the_floor():
    """Six loose visits on three routes: the phase gets down to one nurse when no floor stops
    it, and makes no attempt when the plan already uses as few nurses as the floor says."""
    p = _six_loose_visits()
    start = _routes_by_task(p, [[0, 1], [2, 3], [4, 5]])
    params = SolveParams(time_limit_s=1.0)
    cost = total_cost(p, start)
    routes, c, _, taken = minimise_routes(p, start, cost, params, 2.0, 0.5)
    assert taken == 2 and sum(1 for r in routes if r) == 1 and c < cost  # in one attempt or two
    routes, _, within, taken = minimise_routes(p, start, cost, params, 2.0, 0.5, floor=3)
    assert taken == 0 and routes == start and within is p  # the bound is met: no attempt


def test_a_spare_nurse_on_shift_is_no_way_out_of_route_elimination():
    """Taking a nurse off must not hand her visits to a nurse without a route: that costs the
    same shift and spares no one."""
    p = _six_loose_visits()
    start = _routes_by_task(p, [[0, 1, 2, 3], [4, 5], []])
    reduced, rest = without_route(p, start, 1)
    assert not reduced.allowed[p.node_task >= 0][:, 1].any() and not reduced.allowed[p.node_task >= 0][:, 2].any()
    assert reduced.allowed[p.node_task >= 0][:, 0].all()


def test_the_time_limit_covers_building_our_start(monkeypatch):
    """One process: the runs share what is left of the limit after our insertion, as before
    the side-by-side change (a slow start must not push the night past its limit)."""
    p = _free_nurses_night()
    real = portfolio.insertion_routes

    def slow(problem: Problem, **kw: Any):
        import time
        time.sleep(0.3)
        return real(problem, **kw)

    monkeypatch.setattr(portfolio, "insertion_routes", slow)
    res = solve_night(p, SolveParams(time_limit_s=0.6))
    assert res.wall_s < 0.8


def _params_seen(monkeypatch: pytest.MonkeyPatch, field: str) -> list[Any]:
    """The ``SolveParams`` field ``field`` of every portfolio run, in this process, in order."""
    seen: list[Any] = []
    real = portfolio.search

    def recording(problem: Problem, params: SolveParams, *a: Any, **kw: Any):
        seen.append(getattr(params.tuning, field))
        return real(problem, params, *a, **kw)

    monkeypatch.setattr(portfolio, "search", recording)
    monkeypatch.setattr(fleet, "search", recording)  # route elimination's runs too
    return seen


def test_nights_size_their_ruin_by_their_own_rule(monkeypatch):
    """Long routes: 40 visits per ruin up to 120 visits, 30 (Solomon's) above; short routes: 10;
    a ruin size that was asked for is kept. Every run of the night uses the same size."""
    from nachtzorg.solve.search import RUIN_LONG, RUIN_SHORT
    from nachtzorg.synthetic import generate_night

    sizes = _params_seen(monkeypatch, "ils_removed_visits")

    def ruins(p: Problem, **kw: Any) -> set[int | None]:
        sizes.clear()
        # 1 s: our construction of the 130-visit night must leave a run some budget on a loaded machine
        solve_night(p, SolveParams(time_limit_s=1.0, tuning=Tuning(**kw)))
        assert sizes
        return set(sizes)

    small = compile_scenario(generate_night(60, 3, 2, seed=1)).problem
    assert ruins(small) == {portfolio.NIGHT_RUIN_LONG} and portfolio.NIGHT_RUIN_LONG > RUIN_LONG
    assert ruins(small, ils_removed_visits=12) == {12}
    large = compile_scenario(generate_night(portfolio.NIGHT_RUIN_MAX_VISITS + 10, 6, 2, seed=1)).problem
    assert ruins(large) == {RUIN_LONG}
    assert ruins(_six_loose_visits()) == {RUIN_SHORT}  # six visits on three nurses: short routes


def test_night_runs_are_not_split_into_ils_phases(monkeypatch):
    seen = _params_seen(monkeypatch, "ils_phases")
    solve_night(_six_loose_visits(), SolveParams(time_limit_s=0.6))
    assert seen and all(x == 1 for x in seen)  # the portfolio's chains are its phases


def test_an_idle_nurse_stays_on_for_a_visit_only_she_may_do():
    """Nurses without a route are taken off the visits another nurse may still do, never off a
    visit that would then have no nurse at all (here: the wound care only n3 is qualified for)."""
    data = night([client("c1", 2, 0), client("c2", -2, 0), client("c3", 0, 2)],
                 [visit("v1", "c1", qualification=1), visit("v2", "c2", qualification=1),
                  visit("wound", "c3", qualification=4)],
                 shifts=[nurse("n1", level=2), nurse("n2", level=2), nurse("n3", level=4)])
    p = _problem(data)
    v1, v2, wound = (p.task_nodes[t][0] for t in range(3))
    reduced, rest = without_route(p, [[v1], [v2], []], 0)
    assert rest == [[], [v2], []]
    assert not reduced.allowed[v1, 0] and not reduced.allowed[v1, 2]  # n1 off; idle n3 off where n2 may go
    assert reduced.allowed[v1, 1] and reduced.allowed[wound, 2]  # ... but kept for the wound care
