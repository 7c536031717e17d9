"""Acute calls: the ranked options are the library's dispatch JSON; assigning applies the
chosen option and re-plans in the background; dispatchers only; retries apply once."""

from __future__ import annotations

import json
import time

from nachtzorg.acute import dispatch, initial_state
from tests.serve.conftest import Service
from tests.serve.test_nights import _wait_job

CALL = {"id": "call-0213", "location": {"lat": 52.99079, "lon": 6.62299}, "urgency": "fall",
        "duration_min": 30, "qualification": 3, "nurses": 1}


def test_options_equal_the_library(svc: Service) -> None:
    """POST /calls answers exactly what dispatch() says for the same state, call and time."""
    r = svc.post("dispatcher", f"/api/nights/{svc.night_id}/calls", {**CALL, "now": "00:20"})
    assert r.status_code == 200, r.text
    got = r.json()
    state = initial_state(svc.scenario, svc.plan)
    want = json.loads(dispatch(state, {**CALL, "received": "00:20"}, "00:20").to_json(include_state=False))
    got.pop("seq")
    assert got == want and got["options"]


def test_assign_applies_the_choice_and_replans(svc: Service) -> None:
    """Assigning option #2 puts the call on that nurse's route; the re-plan keeps her on it."""
    base = f"/api/nights/{svc.night_id}/calls"
    opts = svc.post("dispatcher", base, {**CALL, "now": "00:20"}).json()["options"]
    pick = opts[1]
    r = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**pick, "now": "00:21"})
    assert r.status_code == 202, r.text
    job = _wait_job(svc, r.json()["job"], who="dispatcher")
    assert job["status"] in ("done", "skipped"), job
    night = svc.get("dispatcher", f"/api/nights/{svc.night_id}").json()
    assert night["calls"][0]["assigned"] == pick["shifts"]
    for shift in pick["shifts"]:
        refs = [s["ref"] for s in svc.route("dispatcher", shift)["stops"]]
        assert CALL["id"] in refs


def test_assign_twice_is_once(svc: Service) -> None:
    """A retried assign (same key) is one log entry; a second assign of the call is 422."""
    base = f"/api/nights/{svc.night_id}/calls"
    pick = svc.post("dispatcher", base, {**CALL, "now": "00:20"}).json()["options"][0]
    a = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**pick, "now": "00:21"}, idem="a1")
    b = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**pick, "now": "00:21"}, idem="a1")
    assert a.status_code == b.status_code == 202 and a.json() == b.json()
    c = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**pick, "now": "00:22"})
    assert c.status_code == 422 and "already assigned" in c.json()["detail"]
    time.sleep(0.1)
    kinds = [e["kind"] for e in svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]]
    assert kinds.count("call_assigned") == 1


def test_invalid_option_is_refused(svc: Service) -> None:
    """An option that is not among tonight's (unknown nurse) is a clear 422; nothing is logged."""
    base = f"/api/nights/{svc.night_id}/calls"
    svc.post("dispatcher", base, {**CALL, "now": "00:20"})
    r = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {"shifts": ["nurse-99"], "after_stops": [0]})
    assert r.status_code == 422 and "nurse-99" in r.json()["detail"]


def test_call_input_errors(svc: Service) -> None:
    """A duplicate call id, a call outside the region and an unknown field are 422s."""
    base = f"/api/nights/{svc.night_id}/calls"
    assert svc.post("dispatcher", base, {**CALL, "now": "00:20"}).status_code == 200
    dup = svc.post("dispatcher", base, {**CALL, "now": "00:25"})
    assert dup.status_code == 422 and "already used" in dup.json()["detail"]
    far = svc.post("dispatcher", base, {**CALL, "id": "c-far", "location": {"lat": 50.0, "lon": 4.0}, "now": "00:30"})
    assert far.status_code == 422 and "km" in far.json()["detail"]
    typo = svc.post("dispatcher", base, {**CALL, "id": "c-typo", "urgent": "yes"})
    assert typo.status_code == 422 and typo.json()["detail"][0]["field"] == "body.urgent"


def test_only_dispatchers_take_calls(svc: Service) -> None:
    """Planner, nurse and coordinator get 403 on calls and on assign."""
    base = f"/api/nights/{svc.night_id}/calls"
    for who in ("planner", svc.shifts[0], "coordinator"):
        assert svc.post(who, base, {**CALL, "now": "00:20"}).status_code == 403, who
        assert svc.post(who, f"{base}/{CALL['id']}/assign", {"shifts": [svc.shifts[0]], "after_stops": [0]}
                        ).status_code == 403, who


def test_option_no_longer_possible_is_409_with_todays_options(svc: Service) -> None:
    """An option that is not among the options now (the night moved on) gets 409 with today's
    options; nothing is logged; one of those then assigns."""
    base = f"/api/nights/{svc.night_id}/calls"
    opts = svc.post("dispatcher", base, {**CALL, "now": "00:20"}).json()["options"]
    gone = {**opts[0], "after_stops": [9] * len(opts[0]["shifts"])}  # e.g. stops she has done meanwhile
    r = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**gone, "now": "00:26"})
    assert r.status_code == 409 and r.json()["options"] and "choose again" in r.json()["detail"]
    kinds = [e["kind"] for e in svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]]
    assert "call_assigned" not in kinds
    again = svc.post("dispatcher", f"{base}/{CALL['id']}/assign", {**r.json()["options"][0], "now": "00:26"})
    assert again.status_code == 202
