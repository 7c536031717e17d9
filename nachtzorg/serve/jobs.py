"""Background work: planning a night that came without a plan, re-optimising after an assign.

Jobs run one at a time on a worker thread (the solver uses a core; the machine serving the
night keeps the other for requests). A job's row says how it went; a planning job left
unfinished by a stopped server is started again when the service starts, a re-optimisation
is not (the night has moved on; the dispatcher's insertion stands).
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from .. import SolveParams, plan_night
from ..acute import AcuteCall, NightState, dispatch
from ..exceptions import InputError
from .models import Job, utcnow
from .service import Conflict, NightLog
from .settings import ServeSettings

log = logging.getLogger("nachtzorg.serve.jobs")


class JobRunner:
    """Runs jobs on one worker thread and records their outcome in ``jobs``."""

    def __init__(self, nights: NightLog, settings: ServeSettings) -> None:
        self.nights = nights
        self.settings = settings
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nachtzorg-job")

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ bookkeeping
    def new(self, session, night_id: str, kind: str, params: dict[str, Any]) -> Job:  # noqa: ANN001
        job = Job(id="job-" + uuid.uuid4().hex[:12], night_id=night_id, kind=kind, status="queued", params=params)
        session.add(job)
        return job

    def _finish(self, job_id: str, status: str, detail: str | None) -> None:
        with self.nights.sessions.begin() as session:
            job = session.get(Job, job_id)
            job.status, job.detail, job.finished_at = status, detail, utcnow()
        self.nights.notify(job.night_id)

    def _start(self, job_id: str) -> Job:
        with self.nights.sessions.begin() as session:
            job = session.get(Job, job_id)
            job.status = "running"
            return job

    def resume(self) -> int:
        """Start again the planning jobs a stopped server left; returns how many."""
        with self.nights.sessions.begin() as session:
            open_jobs = list(session.scalars(select(Job).where(Job.status.in_(("queued", "running")))))
            todo = []
            for job in open_jobs:
                if job.kind == "plan":
                    job.status = "queued"
                    todo.append(job.id)
                else:
                    job.status, job.detail, job.finished_at = "skipped", "the server restarted", utcnow()
        for job_id in todo:
            self.submit_plan(job_id)
        return len(todo)

    # ------------------------------------------------------------------ planning
    def submit_plan(self, job_id: str):  # noqa: ANN201
        return self.pool.submit(self._plan, job_id)

    def _plan(self, job_id: str) -> None:
        try:
            job = self._start(job_id)
            with self.nights.sessions() as session:
                scenario = self.nights.scenario(session, job.night_id)
            s = self.settings
            params = (SolveParams(time_limit_s=None, solution_limit=s.plan_solution_limit, seed=0)
                      if s.plan_solution_limit else SolveParams(time_limit_s=s.plan_time_limit_s))
            plan = plan_night(scenario, params)
            self.nights.append(job.night_id, "plan_published", {"plan": plan.model_dump(mode="json")},
                               user=None)
            self._finish(job_id, "done", plan.summary().splitlines()[0])
        except InputError as e:
            log.warning("job %s (plan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", str(e)[:500])
        except Exception as e:  # noqa: BLE001 - a job never takes the server down
            log.error("job %s (plan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", f"internal error ({type(e).__name__})")

    # ------------------------------------------------------------------ re-optimising
    def submit_replan(self, job_id: str, before: NightState, call: AcuteCall, params: dict[str, Any]):  # noqa: ANN201
        return self.pool.submit(self._replan, job_id, before, call, params)

    def _replan(self, job_id: str, before: NightState, call: AcuteCall, p: dict[str, Any]) -> None:
        try:
            job = self._start(job_id)
            s = self.settings
            dec = dispatch(before, call, p["now"], policy="reoptimise", choose=(p["shifts"], p["after_stops"]),
                           reoptimise_s=None if s.replan_solutions else s.replan_time_s,
                           reopt_solutions=s.replan_solutions)
            if not dec.reoptimised or dec.chosen is None:
                return self._finish(job_id, "done", "no better re-plan found; the assignment stands as inserted")
            if sorted(dec.chosen.shifts) != sorted(p["shifts"]):
                return self._finish(job_id, "done", "the re-plan would send another nurse; kept the dispatcher's choice")
            remaining = {n.shift: list(n.remaining) for n in dec.state.nurses}
            with self.nights.sessions() as session:
                now = self.nights.current(session, job.night_id)
            if now.state is not None and {n.shift: n.remaining for n in now.state.nurses} == remaining:
                return self._finish(job_id, "done", "the re-plan keeps the routes as they are")
            try:
                self.nights.append(job.night_id, "replan_applied",
                                   {"call_id": call.id, "based_on": p["based_on"], "remaining": remaining},
                                   user=None, expect_head=p["based_on"])
            except Conflict:
                return self._finish(job_id, "skipped", "the night changed while re-planning; routes kept")
            self._finish(job_id, "done", f"re-plan applied ({dec.chosen.added_late_min:g} min late added)")
        except InputError as e:
            log.warning("job %s (replan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", str(e)[:500])
        except Exception as e:  # noqa: BLE001
            log.error("job %s (replan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", f"internal error ({type(e).__name__})")

