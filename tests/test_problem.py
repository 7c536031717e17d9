"""The one problem builder and its transforms."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from nachtzorg import InputError, Scenario
from nachtzorg.problem import (
    ProblemBuilder,
    compile_scenario,
    forbid_vehicle,
    permute_nodes,
    restrict_tasks,
    restrict_vehicles,
    visit_rows,
)

from .conftest import client, night, nurse, visit

ROOT = Path(__file__).resolve().parents[1]


def _tiny() -> ProblemBuilder:
    d = np.array([[0, 60, 120], [60, 0, 90], [120, 90, 0]])
    b = ProblemBuilder(d, d * 10)
    depot = b.add_depot(0)
    b.add_task(1, service_s=600, windows=[(0, 3600)], penalty=10**9, level=4, id="a")
    b.add_task(2, service_s=300, windows=[(100, 200), (900, 1800)], copies=2, penalty=10**9, id="b")
    b.add_vehicle(depot, depot, shift_start=0, shift_end=7200, level=4, id="n1")
    b.add_vehicle(depot, depot, shift_start=60, shift_end=7000, level=3, id="n2")
    return b


def test_builder_numbers_nodes_in_the_order_added():
    """Depot, task copies, vehicles: node order, matrices through points, depot window = shifts' span."""
    p = _tiny().build()
    assert p.n_nodes == 4 and p.n_tasks == 2 and p.n_vehicles == 2
    assert p.task_nodes == ((1,), (2, 3)) and list(p.node_task) == [-1, 0, 1, 1]
    assert p.duration[1, 2] == 90 and p.distance[0, 3] == 1200  # node 3 is at point 2
    assert p.windows[0].tolist() == [[0, 7200]]
    assert p.task_ids == ("a", "b") and p.vehicle_ids == ("n1", "n2")


def test_allowed_follows_qualification():
    """A level-4 task may only go to a level-4 nurse; level-0 tasks to anyone."""
    p = _tiny().build()
    assert list(p.allowed_vehicles(1)) == [0]
    assert list(p.allowed_vehicles(2)) == [0, 1]


def test_builder_rejects_what_cannot_be_a_problem():
    """A point outside the matrix, a vehicle not at a depot, no vehicles: clear errors."""
    d = np.zeros((2, 2), dtype=np.int64)
    b = ProblemBuilder(d, d)
    with pytest.raises(InputError, match="point 5"):
        b.add_depot(5)
    b.add_task(1, service_s=1, windows=[(0, 1)], penalty=1)  # node 0
    with pytest.raises(InputError, match="not a depot"):
        b.add_vehicle(0, 0, shift_start=0, shift_end=1)
    with pytest.raises(InputError, match="at least one vehicle"):
        b.build()
    with pytest.raises(InputError, match="square"):
        ProblemBuilder(np.zeros((2, 3)), np.zeros((2, 3)))


def test_compiled_night_matches_the_scenario(assen):
    """compile_scenario: one task per visit, two nodes per two-nurse visit, one vehicle per shift."""
    c = compile_scenario(assen)
    p = c.problem
    assert p.n_tasks == len(assen.visits) and p.n_vehicles == len(assen.shifts)
    assert sum(len(n) for n in p.task_nodes) == sum(v.nurses for v in assen.visits)
    assert list(p.task_ids) == [v.id for v in assen.visits]
    rows = visit_rows(assen)
    assert [r.service_s for r in rows] == [int(p.service[n[0]]) for n in p.task_nodes]


def test_restrictions_keep_what_they_keep():
    """restrict_tasks keeps the chosen tasks and every vehicle; restrict_vehicles the chosen
    vehicles; forbid_vehicle takes a nurse off every task; permute_nodes only renames."""
    p = _tiny().build()
    sub, node_map = restrict_tasks(p, [1])
    assert sub.n_tasks == 1 and sub.n_vehicles == 2 and list(node_map) == [2, 3, 0]
    assert sub.task_nodes == ((0, 1),) and sub.start_node.tolist() == [2, 2]
    one = restrict_vehicles(p, [1])
    assert one.vehicle_ids == ("n2",) and one.allowed.shape == (4, 1)
    off = forbid_vehicle(p, 0)
    assert not off.allowed[off.node_task >= 0, 0].any() and off.allowed[:, 1].tolist() == p.allowed[:, 1].tolist()
    order = np.array([3, 2, 1, 0])
    q = permute_nodes(p, order)
    assert q.duration[0, 1] == p.duration[3, 2] and q.task_nodes == ((2,), (1, 0))


def test_only_the_problem_module_constructs_a_problem():
    """One construction site: `Problem(` and `replace(problem` appear nowhere else in the package."""
    hits = []
    for f in (ROOT / "nachtzorg").rglob("*.py"):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "Problem" or (name == "replace" and node.args and
                                         getattr(node.args[0], "id", "") in ("problem", "p", "sub")):
                    hits.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert len(hits) == 1 and hits[0].startswith("nachtzorg/problem.py:"), hits


def test_unqualified_night_compiles_with_no_allowed_nurse():
    """A visit nobody on shift is qualified for compiles (it will be explained, not crash)."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1", qualification=5)], shifts=[nurse("n1", level=3)])
    p = compile_scenario(Scenario.model_validate(data)).problem
    assert len(p.allowed_vehicles(p.task_nodes[0][0])) == 0
