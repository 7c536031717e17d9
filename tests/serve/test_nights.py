"""Nights: publishing (with a plan 201, without 202 + job), reading, listing, export, totals, access."""

from __future__ import annotations

import time

from tests.serve.conftest import Service


def _wait_job(svc: Service, job: str, *, who: str = "planner", timeout_s: float = 120) -> dict:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        j = svc.get(who, f"/api/jobs/{job}").json()
        if j["status"] not in ("queued", "running"):
            return j
        time.sleep(0.2)
    raise AssertionError(f"job {job} still {j['status']}")


def test_publish_with_plan_is_live(svc: Service) -> None:
    """A night published with its plan is live at once, its log starting with the plan."""
    r = svc.get("dispatcher", f"/api/nights/{svc.night_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "live" and body["seq"] == 1
    assert {n["shift"] for n in body["board"]} == set(svc.shifts)
    log = svc.get("planner", f"/api/nights/{svc.night_id}/events").json()["events"]
    assert [e["kind"] for e in log] == ["plan_published"]


def test_publish_without_plan_plans_in_background(empty_svc: Service, night_data: dict) -> None:
    """Without a plan: 202 and a job; once it is done the night is live with a checked plan."""
    svc = empty_svc
    r = svc.post("planner", "/api/nights", {"scenario": night_data["scenario"]})
    assert r.status_code == 202, r.text
    night, job = r.json()["night_id"], r.json()["job"]
    j = _wait_job(svc, job)
    assert j["status"] == "done", j
    got = svc.get("planner", f"/api/nights/{night}").json()
    assert got["status"] == "live" and got["plan"]["kpis"]["visits_total"] == len(night_data["scenario"]["visits"])
    from nachtzorg import Plan, check_plan

    assert check_plan(night_data["model"], Plan.model_validate(got["plan"])).ok


def test_publish_is_idempotent(empty_svc: Service, night_data: dict) -> None:
    """The same request twice with one key makes one night; another body with that key is 409."""
    svc = empty_svc
    body = {"scenario": night_data["scenario"], "plan": night_data["plan"]}
    a = svc.post("planner", "/api/nights", body, idem="k-1")
    b = svc.post("planner", "/api/nights", body, idem="k-1")
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    assert len(svc.get("planner", "/api/nights").json()) == 1
    other = dict(body, plan=None)
    assert svc.post("planner", "/api/nights", other, idem="k-1").status_code == 409


def test_publish_rejects_a_plan_the_checker_rejects(empty_svc: Service, night_data: dict) -> None:
    """A plan that leaves out a visit without saying so is refused with the checker's words (422)."""
    svc = empty_svc
    plan = dict(night_data["plan"])
    routes = [dict(r) for r in plan["routes"]]
    used = next(i for i, r in enumerate(routes) if len(r["stops"]) > 2)
    routes[used]["stops"] = [s for j, s in enumerate(routes[used]["stops"]) if j != 1]
    plan["routes"] = routes
    r = svc.post("planner", "/api/nights", {"scenario": night_data["scenario"], "plan": plan})
    assert r.status_code == 422 and "checker" in r.json()["detail"]
    assert svc.get("planner", "/api/nights").json() == []


def test_bad_scenario_names_the_field(empty_svc: Service, night_data: dict) -> None:
    """A bad duration is a 422 naming the field with a short preview; nothing is stored."""
    svc = empty_svc
    sc = dict(night_data["scenario"])
    sc["visits"] = [dict(v) for v in sc["visits"]]
    sc["visits"][2]["duration_min"] = -5
    r = svc.post("planner", "/api/nights", {"scenario": sc})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert any(d["field"] == "body.scenario.visits.2.duration_min" and d.get("value") == "-5" for d in detail)
    assert svc.get("planner", "/api/nights").json() == []


def test_writes_need_an_idempotency_key(empty_svc: Service, night_data: dict) -> None:
    """A write without an Idempotency-Key header is refused (400)."""
    r = empty_svc.post("planner", "/api/nights", {"scenario": night_data["scenario"]}, idem=None)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["detail"]


def test_only_planners_publish(svc: Service, night_data: dict) -> None:
    """Dispatcher, nurse and coordinator get 403 on publishing; no token is 401."""
    body = {"scenario": night_data["scenario"], "plan": night_data["plan"]}
    for who in ("dispatcher", svc.shifts[0], "coordinator"):
        assert svc.post(who, "/api/nights", body).status_code == 403, who
    assert svc.client.post("/api/nights", json=body).status_code == 401
    bad = {"Authorization": "Bearer nzt_1_" + "x" * 43, "Idempotency-Key": "a"}
    assert svc.client.post("/api/nights", json=body, headers=bad).status_code == 401


def test_night_read_rules(svc: Service) -> None:
    """Dispatcher and planner read the whole night; a nurse or a coordinator gets 403."""
    path = f"/api/nights/{svc.night_id}"
    assert svc.get("dispatcher", path).status_code == 200
    assert svc.get("planner", path).status_code == 200
    assert svc.get(svc.shifts[0], path).status_code == 403
    assert svc.get("coordinator", path).status_code == 403
    assert svc.get(svc.shifts[0], path + "/events").status_code == 403
    assert svc.get("coordinator", path + "/events").status_code == 403
    assert svc.get("dispatcher", "/api/nights/night-unknown").status_code == 404


def test_nurse_lists_only_her_nights(svc: Service) -> None:
    """A nurse whose shift is not on a night does not see it listed."""
    from nachtzorg.serve.users import add_user

    other = add_user(svc.app.state.ctx.sessions, "stranger", "nurse", nurse_shift="nurse-99")
    mine = svc.get(svc.shifts[0], "/api/nights").json()
    theirs = svc.client.get("/api/nights", headers={"Authorization": f"Bearer {other}"}).json()
    assert [n["night_id"] for n in mine] == [svc.night_id] and theirs == []


def test_coordinator_sees_totals_only(svc: Service) -> None:
    """Totals give counts per organisation and for the night, and name no client, visit or stop."""
    r = svc.get("coordinator", f"/api/nights/{svc.night_id}/totals")
    assert r.status_code == 200
    body = r.json()
    sc = svc.scenario
    assert {o["organisation"] for o in body["organisations"]} == {o.id for o in sc.organisations}
    assert sum(o["visits"] for o in body["organisations"]) == len(sc.visits)
    text = r.text
    assert not any(c.id in text for c in sc.clients) and not any(v.id in text for v in sc.visits)
    assert svc.get(svc.shifts[0], f"/api/nights/{svc.night_id}/totals").status_code == 403
