"""The log is the truth: the state the service holds equals a fresh replay of its exported
log with the library alone; a new process derives the same; concurrent retries apply once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from nachtzorg import Scenario
from nachtzorg.acute import initial_state
from nachtzorg.serve.state import Entry, derive, state_fingerprint
from tests.serve.conftest import Service, stop_of, used_shifts


def _busy_night(svc: Service) -> None:
    n = f"/api/nights/{svc.night_id}"
    a, b = used_shifts(svc)[:2]
    ra, rb = stop_of(svc, a)["ref"], stop_of(svc, b)["ref"]
    svc.post(a, n + "/events", {"kind": "started", "ref": ra, "at": "23:40"})
    svc.post(b, n + "/events", {"kind": "delayed", "ref": rb, "minutes": 5, "at": "23:41"})
    opts = svc.post("dispatcher", n + "/calls", {"id": "c1", "location": {"lat": 52.99, "lon": 6.6},
                                                  "now": "23:50"}).json()["options"]
    svc.post("dispatcher", n + "/calls/c1/assign", opts[-1])
    svc.post(a, n + "/events", {"kind": "done", "ref": ra, "at": "23:58"})
    svc.app.state.ctx.jobs.pool.submit(lambda: None).result()  # the re-plan job has run


def test_replay_of_the_export_equals_the_served_state(svc: Service) -> None:
    """GET /events replayed by derive() from scratch gives the state GET /nights shows."""
    _busy_night(svc)
    export = svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()
    kinds = [e["kind"] for e in export["events"]]
    assert kinds[:1] == ["plan_published"] and "call_assigned" in kinds
    scenario = Scenario.from_json(export["scenario"])
    replay = derive(scenario, [Entry(e["seq"], e["kind"], e["payload"]) for e in export["events"]])
    served = svc.get("dispatcher", f"/api/nights/{svc.night_id}").json()
    assert replay.seq == served["seq"]
    assert json.loads(replay.state.model_dump_json(exclude={"scenario"})) == served["state"]


def test_cached_state_equals_a_cold_derive(svc: Service) -> None:
    """The incrementally cached state equals one derived from an empty cache."""
    _busy_night(svc)
    nights = svc.app.state.ctx.nights
    with nights.sessions() as s:
        warm = nights.current(s, svc.night_id)
        nights.forget()
        cold = nights.current(s, svc.night_id)
    assert warm.seq == cold.seq and state_fingerprint(warm.state) == state_fingerprint(cold.state)


def test_derive_hands_known_kinds_to_the_library(night_data: dict) -> None:
    """started/done change the state; a kind the library lacks is kept pending, unchanged state."""
    sc, plan = night_data["model"], night_data["plan_model"]
    shift = next(r for r in plan.routes if r.used)
    ref = shift.visits[0].visit_id
    log = [Entry(1, "plan_published", {"plan": plan.model_dump(mode="json")}),
           Entry(2, "started", {"kind": "started", "ref": ref, "at": "23:40"})]
    d = derive(sc, log)
    assert d.state != initial_state(sc, plan) and any(f.ref == ref for f in d.state.fixed)
    d2 = derive(sc, [Entry(3, "unavailable", {"kind": "unavailable", "shift": shift.shift_id, "at": "23:45"})],
                since=d)
    from nachtzorg.serve.state import library_event_kinds

    if "unavailable" not in library_event_kinds():
        assert [e.seq for e in d2.pending] == [3] and d2.state == d.state


def test_concurrent_retries_apply_once(svc: Service) -> None:
    """Eight threads sending the same event with one key: one entry, eight equal answers."""
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    body = {"kind": "started", "ref": ref, "at": "23:40"}
    with ThreadPoolExecutor(8) as ex:
        answers = list(ex.map(lambda _: svc.post(shift, f"/api/nights/{svc.night_id}/events", body, idem="same"),
                              range(8)))
    assert {a.status_code for a in answers} == {201} and len({a.text for a in answers}) == 1
    kinds = [e["kind"] for e in svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]]
    assert kinds == ["plan_published", "started"]
