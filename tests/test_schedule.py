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
