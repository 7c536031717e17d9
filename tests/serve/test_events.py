"""Events: nurses report on their own stops only, retries apply once, kinds the library does
not know yet are kept in the log, out-of-order reports are applied at the state's time."""

from __future__ import annotations

from tests.serve.conftest import Service, stop_of, used_shifts


def _events(svc: Service) -> list[dict]:
    return svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]


def test_nurse_reports_started_and_done(svc: Service) -> None:
    """started then done on her next stop: the stop is done on her route, from her reports."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    assert svc.post(shift, path, {"kind": "started", "ref": ref, "at": "23:40"}).status_code == 201
    assert svc.post(shift, path, {"kind": "done", "ref": ref, "at": "23:55"}).status_code == 201
    stop = next(s for s in svc.route(shift, shift)["stops"] if s["ref"] == ref)
    assert stop["status"] == "done" and stop["start"].startswith("2026-11-22T23:40")
    assert [e["kind"] for e in _events(svc)][-2:] == ["started", "done"]
    assert _events(svc)[-1]["payload"]["shift"] == shift


def test_retry_is_applied_once(svc: Service) -> None:
    """The same event sent three times with one key is one log entry and three equal answers."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    body = {"kind": "started", "ref": ref, "at": "23:41"}
    answers = [svc.post(shift, f"/api/nights/{svc.night_id}/events", body, idem="phone-1") for _ in range(3)]
    assert {a.status_code for a in answers} == {201} and len({a.text for a in answers}) == 1
    assert [e["kind"] for e in _events(svc)].count("started") == 1


def test_key_reused_for_another_event_is_409(svc: Service) -> None:
    """An idempotency key reused with a different body is refused, and nothing is appended."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    assert svc.post(shift, path, {"kind": "started", "ref": ref, "at": "23:41"}, idem="k").status_code == 201
    assert svc.post(shift, path, {"kind": "done", "ref": ref, "at": "23:59"}, idem="k").status_code == 409
    assert len(_events(svc)) == 2


def test_nurse_cannot_report_for_another(svc: Service) -> None:
    """Another nurse's stop is 404 for her; another nurse's shift is 403; nothing is logged."""
    a, b = used_shifts(svc)[:2]
    ref_b = stop_of(svc, b)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    assert svc.post(a, path, {"kind": "started", "ref": ref_b, "at": "23:40"}).status_code == 404
    assert svc.post(a, path, {"kind": "started", "ref": ref_b, "shift": b, "at": "23:40"}).status_code == 403
    assert svc.post(a, path, {"kind": "unavailable", "shift": b, "at": "23:40"}).status_code == 403
    assert len(_events(svc)) == 1


def test_roles_without_events(svc: Service) -> None:
    """Planner and coordinator may not report events (403)."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    for who in ("planner", "coordinator"):
        r = svc.post(who, f"/api/nights/{svc.night_id}/events", {"kind": "started", "ref": ref, "at": "23:40"})
        assert r.status_code == 403, who


def test_delayed_and_unavailable_are_logged(svc: Service) -> None:
    """delayed/unavailable are stored, applied by the library (shown as pending where it could not)."""
    from nachtzorg.serve.state import library_event_kinds

    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    d = svc.post(shift, path, {"kind": "delayed", "ref": ref, "minutes": 10, "at": "22:50"})
    u = svc.post("dispatcher", path, {"kind": "unavailable", "shift": used_shifts(svc)[1], "at": "22:51"})
    assert d.status_code == u.status_code == 201, (d.json(), u.json())
    known = library_event_kinds()
    assert d.json()["applied"] == ("delayed" in known) and u.json()["applied"] == ("unavailable" in known)
    night = svc.get("dispatcher", f"/api/nights/{svc.night_id}").json()
    pending = {p["kind"] for p in night["pending"]}
    assert pending == {"delayed", "unavailable"} - known
    assert svc.post(shift, path, {"kind": "delayed", "ref": ref, "at": "22:52"}).status_code == 422
    gone = used_shifts(svc)[1]
    night = svc.get("dispatcher", f"/api/nights/{svc.night_id}").json()
    assert night["state"]["nurses"][[n["shift"] for n in night["state"]["nurses"]].index(gone)]["available"] is False


def test_late_report_is_applied_at_the_state_time(svc: Service) -> None:
    """A report older than the state (phone out of reach) is kept as reported and applied at the state's time."""
    a, b = used_shifts(svc)[:2]
    ra, rb = stop_of(svc, a)["ref"], stop_of(svc, b)["ref"]
    path = f"/api/nights/{svc.night_id}/events"
    assert svc.post(b, path, {"kind": "started", "ref": rb, "at": "23:50"}).status_code == 201
    r = svc.post(a, path, {"kind": "started", "ref": ra, "at": "23:45"})
    assert r.status_code == 201 and r.json()["applied"]
    assert _events(svc)[-1]["payload"]["at"] == "23:45"
    stop = next(s for s in svc.route(a, a)["stops"] if s["ref"] == ra)
    assert stop["status"] in ("in_progress", "done") and "T23:50" in stop["start"]


def test_event_outside_the_night_is_422(svc: Service) -> None:
    """An event at noon is refused with the library's message; nothing is stored."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    r = svc.post(shift, f"/api/nights/{svc.night_id}/events", {"kind": "started", "ref": ref, "at": "12:00"})
    assert r.status_code == 422 and "outside the night" in r.json()["detail"]
    assert len(_events(svc)) == 1
