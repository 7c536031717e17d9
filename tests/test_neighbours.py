"""Granular arc sets (nachtzorg.solve.neighbours) and their use in the OR-Tools model and solve."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("vrplib")

from nachtzorg.exceptions import InputError  # noqa: E402
from nachtzorg.io.vrptw import check_solution, read_instance, to_problem  # noqa: E402
from nachtzorg.solve import SolveParams, solve_problem  # noqa: E402
from nachtzorg.solve.construct import regret_insertion  # noqa: E402
from nachtzorg.solve.neighbours import nearest_arcs  # noqa: E402
from nachtzorg.solve.ortools_model import build_model  # noqa: E402

DATA = Path(__file__).parent / "data" / "vrptw"


@pytest.fixture(scope="module")
def c101():
    inst = read_instance(DATA / "C101_25.txt")
    return inst, to_problem(inst)


def _arcs(routes: list[list[int]]) -> set[tuple[int, int]]:
    return {(a, b) for r in routes for a, b in zip(r, r[1:])}


def test_nearest_arcs_keep_the_nearest_feasible_visits(c101) -> None:
    _, p = c101
    k = 5
    ok = nearest_arcs(p, k, wait_weight=0.0)
    cust = list(range(1, p.n_nodes))  # node 0 is the depot
    assert ok[0].all() and ok[:, 0].all()  # depot arcs always stay
    assert all(ok[i, i] for i in cust)  # i -> i is OR-Tools' "not visited"

    def feasible(i: int, j: int) -> bool:  # j can start in time after i started as early as it may
        return (int(p.windows[i][0, 0]) + int(p.service[i]) + int(p.duration[i, j]) <= int(p.windows[j][-1, 1])
                and int(p.demand[i] + p.demand[j]) <= int(p.capacity.max()))

    for i in cust:
        can = [j for j in cust if j != i and feasible(i, j)]
        succ = [j for j in cust if j != i and ok[i, j]]
        assert set(succ) <= set(can)  # never a time- or capacity-infeasible arc
        # without the wait term the k nearest feasible successors by distance are kept
        assert set(sorted(can, key=lambda j: (p.distance[i, j], j))[:k]) <= set(succ)
    inner = ok[1:, 1:]
    assert inner.sum() < 0.7 * inner.size  # a real restriction at 25 visits
    with pytest.raises(ValueError, match="k must be >= 1"):
        nearest_arcs(p, 0)


def test_kept_routes_stay_readable_and_removed_arcs_are_refused(c101) -> None:
    inst, p = c101
    start = [r for r in regret_insertion(p) if r]
    ok = nearest_arcs(p, 2)
    foreign = [(a, b) for a, b in _arcs(start) if not ok[a, b]]
    assert foreign  # two neighbours are too few for the regret routes
    assert build_model(p, ok).assignment_from_routes(start) is None
    kept = nearest_arcs(p, 2, keep=start)
    assert all(kept[a, b] for a, b in _arcs(start))
    assert build_model(p, kept).assignment_from_routes(start) is not None
    # a warm-started solve from those routes stays inside the kept arcs and stays feasible
    res = solve_problem(p, SolveParams(time_limit_s=0.5, granular_neighbours=2), start, warm_ils=True)
    routes = [r for r in res.routes if r]
    assert check_solution(inst, routes).feasible
    assert all(kept[a, b] for a, b in _arcs(routes))


def test_solve_uses_only_granular_arcs_on_plain_problems(c101) -> None:
    inst, p = c101
    params = SolveParams(time_limit_s=20, solution_limit=40, granular_neighbours=3)
    res = solve_problem(p, params)
    routes = [r for r in res.routes if r]
    assert check_solution(inst, routes).feasible
    ok = nearest_arcs(p, 3)
    assert all(ok[a, b] for a, b in _arcs(routes))
    # every arc allowed: the same search may use others (and does on this instance)
    free = solve_problem(p, dataclasses.replace(params, granular_neighbours=None))
    assert check_solution(inst, [r for r in free.routes if r]).feasible
    assert any(not ok[a, b] for a, b in _arcs(free.routes))
    with pytest.raises(InputError, match="granular_neighbours must be >= 1"):
        SolveParams(granular_neighbours=0)


def test_nights_keep_every_arc(monkeypatch) -> None:
    from nachtzorg.problem import compile_scenario
    from nachtzorg.solve import search
    from nachtzorg.synthetic import generate_night

    p = compile_scenario(generate_night(20, 2, seed=4)).problem
    seen = []
    real = search.build_model

    def spy(problem, allowed_arcs=None):
        seen.append(allowed_arcs)
        return real(problem, allowed_arcs)

    monkeypatch.setattr(search, "build_model", spy)
    solve_problem(p, SolveParams(time_limit_s=None, solution_limit=5, granular_neighbours=3))
    assert seen == [None]
