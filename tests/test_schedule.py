"""The timing tables: Python lists mirroring a problem's arrays, built once, not pickled."""

from __future__ import annotations

import pickle

from nachtzorg.problem import compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.solve.insertion import insertion_routes
from nachtzorg.synthetic import generate_night


def _night():
    return compile_scenario(generate_night(40, 3, 2, seed=7)).problem


def test_problem_lists_mirror_the_arrays():
    p = _night()
    L = p.lists
    assert L is p.lists  # built once
    n = p.n_nodes
    assert all(L.duration[i][j] == p.duration[i, j] and L.distance[i][j] == p.distance[i, j]
               for i in range(n) for j in range(n))
    for i in range(n):
        w = p.windows[i]
        assert [lo for lo, _ in L.windows[i]] == [int(x) for x in w[:, 0]]
        assert [hi for _, hi in L.windows[i][:-1]] == [int(x) for x in w[:-1, 1]]
        assert L.windows[i][-1][1] == int(w[-1, 1]) + int(p.max_late[i])  # lateness on the last only
        assert L.due[i] == int(w[-1, 1])
    pairs = [nodes for nodes in p.task_nodes if len(nodes) == 2]
    assert pairs, "the generated night should hold two-nurse visits"
    assert {a: b for a, b in L.partner.items()} == {**{a: b for a, b in pairs}, **{b: a for a, b in pairs}}


def test_the_cached_lists_stay_out_of_pickles_and_come_back_equal():
    p = _night()
    before = len(pickle.dumps(p))
    routes = insertion_routes(p)
    sched = schedule_routes(p, routes)  # builds p.lists
    assert "lists" in p.__dict__
    data = pickle.dumps(p)
    assert len(data) == before
    q = pickle.loads(data)
    assert "lists" not in q.__dict__
    assert q.lists == p.lists
    assert schedule_routes(q, routes) == sched


def _loaded_problem():
    """Three tasks of load 60 near one depot, two vehicles of capacity 100 (a VRPTW-like
    benchmark problem: night visits carry no load)."""
    import numpy as np

    from nachtzorg.problem import ProblemBuilder
    d = np.array([[0, 60, 60, 60], [60, 0, 60, 60], [60, 60, 0, 60], [60, 60, 60, 0]])
    b = ProblemBuilder(d, d * 10)
    depot = b.add_depot(0)
    for point in (1, 2, 3):
        b.add_task(point, service_s=60, windows=[(0, 36_000)], penalty=10**9, demand=60)
    for _ in range(2):
        b.add_vehicle(depot, depot, shift_start=0, shift_end=36_000, capacity=100)
    return b.build()


def test_a_route_over_its_load_capacity_is_not_feasible():
    from nachtzorg.schedule import schedule_routes
    p = _loaded_problem()
    tasks = [p.task_nodes[t][0] for t in range(3)]
    over = schedule_routes(p, [tasks[:2], tasks[2:]])
    assert not over.feasible and any("load 120 exceeds capacity 100" in i for i in over.issues)
    assert schedule_routes(p, [tasks[:1], tasks[1:2]]).feasible


def test_insertion_keeps_every_route_within_its_load_capacity():
    from nachtzorg.schedule import schedule_routes
    from nachtzorg.solve import insertion_routes
    p = _loaded_problem()
    routes = insertion_routes(p)
    assert schedule_routes(p, routes).feasible
    assert all(int(p.demand[r].sum()) <= 100 for r in routes if r)
    assert sum(len(r) for r in routes) == 2  # the third task fits on neither route
