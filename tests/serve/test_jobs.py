"""Jobs: readable by planners and dispatchers only; a failed plan says why; unknown job 404."""

from __future__ import annotations

from tests.serve.conftest import Service
from tests.serve.test_nights import _wait_job


def test_job_access(empty_svc: Service, night_data: dict) -> None:
    """A nurse-less user (coordinator) gets 403 on a job; a planner and a dispatcher read it."""
    svc = empty_svc
    r = svc.post("planner", "/api/nights", {"scenario": night_data["scenario"]})
    job = r.json()["job"]
    assert svc.get("coordinator", f"/api/jobs/{job}").status_code == 403
    assert svc.get("dispatcher", f"/api/jobs/{job}").status_code == 200
    assert _wait_job(svc, job)["status"] == "done"
    assert svc.get("planner", "/api/jobs/job-nope").status_code == 404


def test_unplanned_night_has_no_route_yet(empty_svc: Service, night_data: dict) -> None:
    """While planning, the night says 'planning' and routes are 404, not an error."""
    svc = empty_svc
    gate = svc.app.state.ctx.jobs.pool.submit(__import__("time").sleep, 1.5)  # keep the worker busy
    r = svc.post("planner", "/api/nights", {"scenario": night_data["scenario"]})
    night, job = r.json()["night_id"], r.json()["job"]
    assert svc.get("planner", f"/api/nights/{night}").json()["status"] == "planning"
    shift = night_data["scenario"]["shifts"][0]["id"]
    assert svc.get("dispatcher", f"/api/nights/{night}/nurses/{shift}/route").status_code == 404
    gate.result()
    assert _wait_job(svc, job)["status"] == "done"


def test_resume_restarts_unfinished_planning(empty_svc: Service, night_data: dict) -> None:
    """A planning job left queued by a stopped server is run when the service starts again."""
    from nachtzorg.serve.models import Job

    svc = empty_svc
    ctx = svc.app.state.ctx
    with ctx.sessions.begin() as s:
        from nachtzorg import Scenario
        from nachtzorg.serve.models import User

        user = s.query(User).filter_by(name="pia").one()
        night = ctx.nights.create_night(s, Scenario.model_validate(night_data["scenario"]), user)
        s.add(Job(id="job-left", night_id=night.id, kind="plan", status="running", params={}))
        night_id = night.id
    assert ctx.jobs.resume() == 1
    assert _wait_job(svc, "job-left")["status"] == "done"
    assert svc.get("planner", f"/api/nights/{night_id}").json()["status"] == "live"
