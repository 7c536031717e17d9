"""benchmarks/nights_side_by_side.py: both solvers on one small night, the shared judge, the summary."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pyvrp")

from .conftest import benchmark_script  # noqa: E402

sbs = benchmark_script("nights_side_by_side")


@pytest.fixture(scope="module")
def night20():
    """A 20-visit night for 3 nurses (the third is level 3), in its PyVRP-comparable form."""
    (night,) = sbs.make_nights([20], [1], ["comparable"], nurses={20: 3})
    return night


@pytest.fixture(scope="module")
def runs(night20):
    """nachtzorg bounded by a solution limit, PyVRP by an iteration count: no wall clock."""
    nz = sbs.run_nachtzorg(night20, time_limit=None, seed=0, solution_limit=60)
    pv = sbs.run_pyvrp(night20, time_limit=None, seed=0, max_iterations=300)
    return nz, pv


def test_comparable_night_has_one_nurse_one_hard_window_per_visit() -> None:
    """The comparable variant keeps the visits and their qualifications but drops two-nurse visits,
    extra windows and lateness; the full variant keeps them."""
    full, comp = sbs.make_nights([30], [1], ["full", "comparable"], nurses={30: 3})
    assert any(v.nurses == 2 for v in full.scenario.visits) and any(v.max_lateness_min > 0 for v in full.scenario.visits)
    assert [v.id for v in comp.scenario.visits] == [v.id for v in full.scenario.visits]
    assert [v.qualification for v in comp.scenario.visits] == [v.qualification for v in full.scenario.visits]
    assert {v.qualification for v in comp.scenario.visits} == {3, 4}
    for v, w in zip(comp.scenario.visits, full.scenario.visits):
        assert v.nurses == 1 and v.max_lateness_min == 0 and v.windows == w.windows[:1]
    p = comp.problem
    assert all(len(nodes) == 1 for nodes in p.task_nodes) and not p.max_late.any()
    with pytest.raises(ValueError, match="one-nurse visits"):
        sbs.pyvrp_model(full.problem)


def test_pyvrp_gets_the_same_integers_and_one_profile_per_level(night20) -> None:
    """PyVRP's matrices are the compiled ones; the level-3 profile cannot reach level-4 visits."""
    p = night20.problem
    model = sbs.pyvrp_model(p)
    data = model.data
    assert data.num_profiles == 2 and data.num_clients == p.n_tasks
    nodes = [int(p.start_node[0])] + model.client_node
    level3 = next(j for j, vs in enumerate(model.type_vehicles) if 2 in vs)
    prof3 = data.vehicle_type(level3).profile
    for prof in range(2):
        dist, dur = data.distance_matrix(prof), data.duration_matrix(prof)
        for a in range(len(nodes)):
            for b in range(len(nodes)):
                reach = all(a2 == 0 or prof != prof3 or 2 in p.allowed_vehicles(nodes[a2]) for a2 in (a, b))
                if reach:
                    assert dist[a, b] == p.distance[nodes[a], nodes[b]] and dur[a, b] == p.duration[nodes[a], nodes[b]]
                elif a != b:
                    assert dist[a, b] == sbs.UNREACHABLE_M and dur[a, b] == sbs.UNREACHABLE_S
    for k, node in enumerate(model.client_node):
        c = data.clients()[k]
        assert (c.tw_early, c.tw_late) == tuple(int(x) for x in p.windows[node][0])
        assert c.service_duration == int(p.service[node])
    scale = model.cost_scale
    for j, vs in enumerate(model.type_vehicles):
        vt = data.vehicle_type(j)
        for v in vs:
            assert vt.fixed_cost * scale == p.fixed_cost[v] and vt.unit_distance_cost * scale == p.cost_per_m[v]
            assert (vt.tw_early, vt.tw_late) == (p.shift_start[v], p.shift_end[v])


def test_both_solutions_pass_the_checks(night20, runs) -> None:
    """Both solvers serve every visit, feasibly by our integer check, and check_plan accepts nachtzorg's."""
    nz, pv = runs
    for run in runs:
        chk = sbs.check_routes(night20.problem, run.routes)
        assert chk.ok, chk.issues
        assert chk.served == 20 and not chk.unserved
    assert nz.check_plan_ok is True and not nz.check_plan_issues
    rows = [sbs.judge(night20, name, 0, None, run) for name, run in zip(("nachtzorg", "pyvrp"), runs)]
    assert all(r["feasible"] and r["complete"] for r in rows)
    assert all(1 <= r["nurses"] <= 3 for r in rows)


def test_shared_cost_agrees_with_nachtzorg_kpis(night20, runs) -> None:
    """The shared cost function, over the compiled matrices, gives nachtzorg's own cost and nurse count."""
    nz, pv = runs
    units, metres, used = sbs.route_costs(night20.problem, nz.routes)
    assert units * sbs.MICRO_EUR == pytest.approx(nz.plan.kpis.cost_eur, abs=0.006)
    assert metres / 1000 == pytest.approx(nz.plan.kpis.distance_km, abs=0.01)
    assert used == nz.plan.kpis.nurses_used
    # and PyVRP's own objective, scaled back, is the same figure for its routes
    assert sbs.route_costs(night20.problem, pv.routes)[0] * sbs.MICRO_EUR == pytest.approx(pv.solver_cost_eur)


def test_route_check_finds_broken_routes(night20, runs) -> None:
    """A level-4 visit on the level-3 nurse, a visit twice, a missing visit, reversed routes: all caught."""
    p = night20.problem
    routes = [list(r) for r in runs[0].routes]
    v4 = next(v for v in (0, 1) if routes[v] and any(2 not in p.allowed_vehicles(n) for n in routes[v]))
    node = next(n for n in routes[v4] if 2 not in p.allowed_vehicles(n))
    moved = [list(r) for r in routes]
    moved[v4].remove(node)
    moved[2] = moved[2] + [node]
    assert any("not qualified" in i for i in sbs.check_routes(p, moved).issues)
    twice = [list(r) for r in routes]
    twice[v4] = twice[v4] + [twice[v4][0]]
    assert any("served 2 times" in i for i in sbs.check_routes(p, twice).issues)
    missing = [list(r) for r in routes]
    missing[v4] = missing[v4][1:]
    chk = sbs.check_routes(p, missing)
    assert chk.ok and chk.unserved == [int(p.node_task[routes[v4][0]])]
    backwards = [list(reversed(r)) for r in routes]
    assert any("after its last window" in i or "after her shift end" in i
               for i in sbs.check_routes(p, backwards).issues)


def _row(night, solver, seed, nurses, cost, ok=True, variant="comparable", lb=None):
    return {"night": night, "variant": variant, "solver": solver, "seed": seed, "nurses": nurses, "cost_eur": cost,
            "feasible": ok, "complete": True, "wall_s": 1.0, "lower_bound": lb}


def test_summary_counts_runs_ratios_and_spread() -> None:
    """k of N counts, cost ratios and the min/median/max over seeds come from the rows as given."""
    rows = [_row("a", "nachtzorg", 0, 4, 2000.0), _row("a", "pyvrp", 0, 3, 1600.0),
            _row("a", "nachtzorg", 1, 3, 1610.0), _row("a", "pyvrp", 1, 3, 1600.0),
            _row("a", "nachtzorg", 2, 3, 1600.0), _row("a", "pyvrp", 2, 3, 1600.0, ok=False),
            _row("a", "nachtzorg", 0, 3, 1700.0, variant="full", lb=3),
            _row("a", "nachtzorg", 1, 4, 1900.0, variant="full", lb=3)]
    s = sbs.summarise(rows, ["nachtzorg", "pyvrp"])
    c = s["comparable"]["compared"]
    assert c["runs"] == 2 and c["nachtzorg_more_nurses"] == 1 and c["same_nurses"] == 1
    assert c["max_cost_ratio"] == 1.25 and c["cost_ratio_at_most_1_01"] == 1 and c["only_nachtzorg_ok"] == 1
    assert s["comparable"]["solvers"]["nachtzorg"]["mean_nurses"] == 3.5
    assert s["comparable"]["spread"]["a"]["nachtzorg"]["nurses"] == [3, 3, 4]
    assert s["comparable"]["spread"]["a"]["pyvrp"]["cost_eur"] == [1600.0, 1600.0, 1600.0]
    assert s["full"]["nurses_at_lower_bound"] == 1 and s["full"]["runs_with_lower_bound"] == 2


def test_bad_options_are_refused(capsys) -> None:
    """A seed given twice or a size without a fleet is an argparse error, before any solve."""
    with pytest.raises(SystemExit):
        sbs.main(["--seeds", "1", "1"])
    assert "each value once" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sbs.main(["--sizes", "33"])
    assert "--sizes 33" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sbs.main(["--sizes", "30", "50", "--nurses", "3"])
    assert "one positive count per --sizes value" in capsys.readouterr().err


def test_full_night_is_judged_by_the_same_cost_and_route_check() -> None:
    """On a night with two-nurse visits and lateness, nachtzorg's plan passes check_plan and our
    route check (both places of a two-nurse visit on different nurses), and the costs agree."""
    (full,) = sbs.make_nights([20], [1], ["full"], nurses={20: 3})
    assert any(len(nodes) == 2 for nodes in full.problem.task_nodes)
    run = sbs.run_nachtzorg(full, time_limit=None, seed=0, solution_limit=60)
    row = sbs.judge(full, "nachtzorg", 0, None, run)
    assert row["check_plan_ok"] and row["route_check_ok"] and row["complete"], row["issues"]
    assert row["cost_eur"] == pytest.approx(run.plan.kpis.cost_eur, abs=0.006)
    assert row["lower_bound"] == sbs.nurses_lower_bound(run.plan)
    two = next(nodes for nodes in full.problem.task_nodes if len(nodes) == 2)
    holders = [v for v, r in enumerate(run.routes) if set(r) & set(two)]
    merged = [list(r) for r in run.routes]
    for v in holders[1:]:
        merged[v] = [n for n in merged[v] if n not in two]
    merged[holders[0]] = [n for n in merged[holders[0]] if n not in two] + list(two)
    assert any("one nurse holds two" in i for i in sbs.check_routes(full.problem, merged).issues)


def test_from_json_reprints_tables_and_summary(tmp_path, night20, runs, capsys) -> None:
    """--from-json prints the night tables and the summary of saved rows without solving."""
    rows = [sbs.judge(night20, name, 0, None, run) for name, run in zip(("nachtzorg", "pyvrp"), runs)]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"config": {"solvers": ["nachtzorg", "pyvrp"]}, "rows": rows}))
    assert sbs.main(["--from-json", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{night20.name} [comparable]: 20 visits, 3 nurses on shift" in out
    more = int(rows[0]["nurses"] > rows[1]["nurses"])
    assert f"nachtzorg used more nurses than PyVRP in {more} of 1 runs" in out
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert sbs.main(["--from-json", str(bad)]) == 2
    assert "not a nights_side_by_side --json file" in capsys.readouterr().err
