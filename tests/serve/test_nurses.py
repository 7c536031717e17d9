"""A nurse's route (her own only) and the key-safe code: only her, only stops to go or under
way, only during the night, every request audited, the code in that one answer only."""

from __future__ import annotations

import datetime as _dt

from tests.serve.conftest import Service, stop_of, used_shifts


def _ks(svc: Service, who: str, shift: str, ref: str):  # noqa: ANN202
    return svc.post(who, f"/api/nights/{svc.night_id}/nurses/{shift}/stops/{ref}/key-safe", idem=None)


def _audit(svc: Service) -> list[tuple[str, str, str]]:
    rows = svc.get("planner", f"/api/nights/{svc.night_id}/key-safe-reveals").json()
    return [(r["shift"], r["stop"], r["outcome"]) for r in rows]


def test_route_shows_her_stops_in_order(svc: Service) -> None:
    """Her route lists the plan's visits in order, the first as 'next', with windows and key-safe flags."""
    shift = used_shifts(svc)[0]
    route = svc.route(shift, shift)
    planned = [s.visit_id for s in svc.plan.route(shift).visits]
    assert [s["ref"] for s in route["stops"]] == planned
    assert route["stops"][0]["status"] == "next" and all(s["key_safe"] for s in route["stops"])
    assert "code" not in str(route).lower().replace("key_safe", "")


def test_route_moves_on_with_the_clock(svc: Service) -> None:
    """At 02:00 without any report, stops planned before then show as done (to plan), none lost."""
    shift = used_shifts(svc)[0]
    before = svc.route(shift, shift)
    svc.clock.set(svc.scenario, "02:00")
    after = svc.route(shift, shift)
    assert [s["ref"] for s in after["stops"]] == [s["ref"] for s in before["stops"]]
    planned = {s.visit_id: s.end for s in svc.plan.route(shift).visits}
    for s in after["stops"]:
        want = "done" if planned[s["ref"]].astimezone(svc.clock.at.tzinfo) <= svc.clock.at else None
        if want:
            assert s["status"] == "done", s
    assert after["as_of"].startswith("2026-11-23T02:00")
    assert len(svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]) == 1


def test_two_nurse_visit_names_the_partner(empty_svc: Service) -> None:
    """On a two-nurse visit each nurse's route names the other as partner."""
    from nachtzorg import plan_night
    from tests.conftest import DETERMINISTIC, client, night, nurse, visit
    from nachtzorg import Scenario
    from nachtzorg.serve.users import add_user

    svc = empty_svc
    data = night([client("A", 1.0, 0.0), client("B", 2.0, 0.0)],
                 [visit("vA", "A", "00:00", "00:30", minutes=30, nurses=2), visit("vB", "B", "02:00", "02:30")],
                 shifts=[nurse("n1"), nurse("n2")])
    plan = plan_night(Scenario.model_validate(data), DETERMINISTIC)
    r = svc.post("planner", "/api/nights", {"scenario": data, "plan": plan.model_dump(mode="json")})
    svc.night_id = r.json()["night_id"]
    svc.tokens["n1"] = add_user(svc.app.state.ctx.sessions, "n1", "nurse", nurse_shift="n1")
    stop = next(s for s in svc.route("n1", "n1")["stops"] if s["ref"] == "vA")
    assert stop["partner"] == ["n2"]
    stop2 = next(s for s in svc.route("dispatcher", "n2")["stops"] if s["ref"] == "vA")
    assert stop2["partner"] == ["n1"]


def test_route_access(svc: Service) -> None:
    """Another nurse's route is 404 for a nurse, 403 for a coordinator; dispatcher and planner see it."""
    a, b = svc.shifts[:2]
    path = f"/api/nights/{svc.night_id}/nurses/{b}/route"
    assert svc.get(a, path).status_code == 404
    assert svc.get("coordinator", path).status_code == 403
    assert svc.get("dispatcher", path).status_code == 200 and svc.get("planner", path).status_code == 200
    assert svc.get("dispatcher", f"/api/nights/{svc.night_id}/nurses/nobody/route").status_code == 404


def test_key_safe_revealed_to_her_and_audited(svc: Service) -> None:
    """Her next stop's code comes back in that answer; the audit says who, which stop, when."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    client = next(v.client for v in svc.scenario.visits if v.id == ref)
    want = svc.scenario.client(client).key_safe_code.get_secret_value()
    r = _ks(svc, shift, shift, ref)
    assert r.status_code == 200 and r.json()["code"] == want
    assert r.headers["cache-control"] == "no-store"
    rows = svc.get("planner", f"/api/nights/{svc.night_id}/key-safe-reveals").json()
    assert [(x["user"], x["shift"], x["stop"], x["outcome"]) for x in rows] == [("nurse1", shift, ref, "revealed")]
    assert _dt.datetime.fromisoformat(rows[0]["at"]) == svc.clock()


def test_key_safe_refused_to_others(svc: Service) -> None:
    """Dispatcher, planner, coordinator (403) and another nurse (404) get no code; each try is audited."""
    a, b = used_shifts(svc)[:2]
    ref = stop_of(svc, a)["ref"]
    assert _ks(svc, "dispatcher", a, ref).status_code == 403
    assert _ks(svc, "planner", a, ref).status_code == 403
    assert _ks(svc, "coordinator", a, ref).status_code == 403
    assert _ks(svc, b, a, ref).status_code == 404
    assert _ks(svc, b, b, ref).status_code == 404  # her own path, someone else's stop
    outcomes = [o for _, _, o in _audit(svc)]
    assert outcomes == ["refused:role"] * 3 + ["refused:other_nurse", "refused:not_on_route"]


def test_key_safe_only_during_the_night(svc: Service) -> None:
    """The same request at noon of the next day is refused (403) and audited."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    svc.clock.at = svc.clock.at + _dt.timedelta(hours=14)
    assert _ks(svc, shift, shift, ref).status_code == 403
    svc.clock.at = svc.clock.at - _dt.timedelta(days=3)
    assert _ks(svc, shift, shift, ref).status_code == 403
    assert [o for _, _, o in _audit(svc)] == ["refused:outside_night"] * 2


def test_key_safe_not_for_a_done_stop(svc: Service) -> None:
    """Once her stop is done the code is no longer shown (404)."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    svc.post(shift, path, {"kind": "started", "ref": ref, "at": "23:40"})
    assert _ks(svc, shift, shift, ref).status_code == 200  # under way
    svc.post(shift, path, {"kind": "done", "ref": ref, "at": "23:50"})
    assert _ks(svc, shift, shift, ref).status_code == 404
