"""Coalition costs from routing: restriction, consistency repair, executors, CLI, privacy."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from nachtzorg import InputError, Scenario, SolveParams, Tuning, compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.sharing import coalitions as co
from nachtzorg.cli import main

from ..conftest import client, night, nurse, visit

FAST = co.CoalitionParams(grand=SolveParams(time_limit_s=None, solution_limit=30), max_s=0.1)


def three_orgs() -> Scenario:
    clients = [client(f"cl-a{i}", i, 0, organisation="org-a") for i in range(1, 4)]
    clients += [client(f"cl-b{i}", 0, i, organisation="org-b") for i in range(1, 4)]
    clients += [client(f"cl-c{i}", -i, 1, organisation="org-c") for i in range(1, 3)]
    visits = [visit(f"v-{c['id']}", c["id"], "23:00", "05:00", 15) for c in clients]
    visits.append(visit("hoist", "cl-b1", "01:00", "02:00", 20, nurses=2))
    return Scenario.model_validate(night(clients, visits, shifts=[nurse("n1"), nurse("n2"), nurse("n3")]))


@pytest.fixture(scope="module")
def game3() -> co.CoalitionGame:
    return co.coalition_costs(three_orgs(), FAST)


def test_every_coalition_is_priced_with_only_its_own_visits(game3):
    """Each coalition's routes serve exactly its organisations' visits and can be timed."""
    s = three_orgs()
    p = compile_scenario(s).problem
    org_of = {c.id: c.organisation for c in s.clients}
    task_org = [org_of[v.client] for v in s.visits]
    assert len(game3.costs) == 7
    for coal, c in game3.costs.items():
        served = {task_org[int(p.node_task[n])] for r in c.routes for n in r}
        assert served == set(coal)
        assert c.unserved == 0
        assert schedule_routes(p, c.routes).feasible
        assert c.cost_eur > 0


def test_no_coalition_is_dearer_than_a_superset_restricted_to_it(game3):
    """Consistency: c(S) <= cost of any superset's routes with the other visits removed."""
    s = three_orgs()
    p = compile_scenario(s).problem
    org_of = {c.id: c.organisation for c in s.clients}
    task_org = [org_of[v.client] for v in s.visits]
    players = game3.players
    for k in range(1, 3):
        for sub in combinations(players, k):
            S = frozenset(sub)
            for T, cost in game3.costs.items():
                if S < T:
                    cut = [[n for n in r if task_org[int(p.node_task[n])] in S] for r in cost.routes]
                    assert schedule_routes(p, cut).feasible
                    units = sum(p.route_cost(v, r) for v, r in enumerate(cut))
                    assert game3.costs[S].cost_eur <= units * 1e-6 + 0.01


def test_a_heuristic_overpricing_a_subcoalition_is_repaired_and_reported(monkeypatch):
    """If the solver prices a sub-coalition badly, the superset's routes repair it, and it is listed."""
    real = co._solve_one

    def one_visit_per_nurse_when_small(sub, params, starts, elimination_s=0.0):
        routes = real(sub, params, [], elimination_s)
        if sub.n_tasks <= 3:  # a deliberately poor but feasible plan: each nurse does one visit
            flat = [n for r in routes for n in r]
            out = [[] for _ in range(sub.n_vehicles)]
            for i, n in enumerate(flat):
                out[i % sub.n_vehicles].append(n)
            if schedule_routes(sub, out).feasible:
                return out
        return routes

    monkeypatch.setattr(co, "_solve_one", one_visit_per_nurse_when_small)
    g = co.coalition_costs(three_orgs(), co.CoalitionParams(grand=FAST.grand, max_s=0.1, warm_start=False))
    rep = {c: (a, b) for c, a, b in g.repaired}
    assert ("org-a",) in rep
    before, after = rep[("org-a",)]
    assert after < before
    assert g.costs[frozenset({"org-a"})].repaired_from is not None


def test_a_coalition_does_not_pay_for_nurses_only_the_larger_night_needs():
    """A coalition's start (a superset's routes restricted to it) may keep nurses the coalition
    alone does not need; the coalition solve takes them off even when its own search is too
    short to (here: stopped at its first solution)."""
    clients = [client(f"cl-a{i}", i, 1, organisation="org-a") for i in range(6)]
    visits = [visit(f"a{i}", f"cl-a{i}", "23:00", "06:00", 20) for i in range(6)]
    s = Scenario.model_validate(night(clients, visits, shifts=[nurse("n1"), nurse("n2"), nurse("n3")]))
    p = compile_scenario(s).problem
    three = [[p.task_nodes[t][0] for t in ts] for ts in ([0, 1], [2, 3], [4, 5])]
    stopped = SolveParams(time_limit_s=None, solution_limit=1, tuning=Tuning(metaheuristic="greedy"))
    routes = co._solve_one(p, stopped, [three])
    assert sum(1 for r in routes if r) == 1
    assert sorted(n for r in routes for n in r) == sorted(n for r in three for n in r)
    assert schedule_routes(p, routes).feasible


def test_game_has_visits_and_care_minutes_for_proportional_rules(game3):
    """The cost game carries per-organisation visits and care minutes (two-nurse visits count twice)."""
    g = game3.game()
    assert g.kind == "cost"
    assert dict(zip(g.players, g.attribute("visits"))) == {"org-a": 3, "org-b": 4, "org-c": 2}
    assert dict(zip(g.players, g.attribute("care_minutes")))["org-b"] == 3 * 15 + 2 * 20


def test_organisation_without_visits_is_a_clear_error():
    """A partner with no visits tonight gets an error naming it."""
    data = three_orgs().model_dump(mode="json")
    data["organisations"].append({"id": "org-z", "name": "Z"})
    with pytest.raises(InputError, match="org-z"):
        co.coalition_costs(Scenario.model_validate(data), FAST)


def test_dask_executor_gives_the_same_game(game3):
    """Coalitions solved on a real local Dask cluster give the same values as serially."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client_:
        g = co.coalition_costs(three_orgs(), FAST, executor=client_.get_executor())
    assert {k: v.cost_eur for k, v in g.costs.items()} == {k: v.cost_eur for k, v in game3.costs.items()}


def test_share_scenario_cli_json_and_report_hold_aggregates_only(tmp_path, capsys):
    """`share SCENARIO --json` prints allocations, core and coalitions; the report names no client."""
    path = tmp_path / "s.json"
    path.write_text(three_orgs().to_json())
    out = tmp_path / "report.html"
    rc = main(["share", str(path), "--method", "shapley,nucleolus", "--json", "--time-limit", "1", "--out", str(out)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res["allocations"]) >= {"shapley", "nucleolus"}
    assert abs(sum(res["allocations"]["shapley"].values()) - res["game"]["grand_value"]) < 1e-6
    assert "org-a,org-b" in res["coalitions"] and "repaired" in res
    html = out.read_text()
    assert "org-a" in html
    assert "cl-" not in html and "cl-" not in json.dumps(res), "a client pseudonym leaked into the report"
