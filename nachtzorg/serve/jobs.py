"""Background work: planning a night that came without a plan, re-optimising after an assign.

Jobs run one at a time. The solving itself runs in a separate worker process (OR-Tools holds
Python's interpreter lock while it searches, which would stall every request of the server
for the whole search); a thread of the server waits for it and writes the outcome. A job's row
says how it went; a planning job left unfinished by a stopped server is started again when the
service starts, a re-optimisation is not (the night has moved on; the dispatcher's insertion
stands). Key-safe codes never reach the worker (scenarios travel as JSON without them).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from .. import Plan, Scenario, SolveParams, plan_night
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
        self._solver: ProcessPoolExecutor | None = None

    @property
    def solver(self) -> ProcessPoolExecutor:
        """The worker process that solves (started on first use)."""
        if self._solver is None:
            self._solver = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=watch_parent, initargs=(os.getpid(),))
        return self._solver

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._solver is not None:
            self._solver.shutdown(wait=True, cancel_futures=True)

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
            params = ({"time_limit_s": None, "solution_limit": s.plan_solution_limit, "seed": 0}
                      if s.plan_solution_limit else {"time_limit_s": s.plan_time_limit_s})
            plan = Plan.from_json(self.solver.submit(plan_in_worker, scenario.to_json(indent=None), params).result())
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
            out = self.solver.submit(replan_in_worker, before.to_json(indent=None), call.model_dump_json(), p["now"],
                                     p["shifts"], p["after_stops"],
                                     None if s.replan_solutions else s.replan_time_s, s.replan_solutions).result()
            if not out["reoptimised"]:
                return self._finish(job_id, "done", "no better re-plan found; the assignment stands as inserted")
            if sorted(out["shifts"]) != sorted(p["shifts"]):
                return self._finish(job_id, "done", "the re-plan would send another nurse; kept the dispatcher's choice")
            remaining = out["remaining"]
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
            self._finish(job_id, "done", f"re-plan applied ({out['added_late_min']:g} min late added)")
        except InputError as e:
            log.warning("job %s (replan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", str(e)[:500])
        except Exception as e:  # noqa: BLE001
            log.error("job %s (replan) failed: %s", job_id, type(e).__name__)
            self._finish(job_id, "failed", f"internal error ({type(e).__name__})")



# --------------------------------------------------------------------------- in the worker process
def watch_parent(parent_pid: int) -> None:
    """End the worker when the server is gone (a killed server leaves no solver behind)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="nachtzorg-parent-watch").start()


def plan_in_worker(scenario_json: str, params: dict[str, Any]) -> str:
    """Plan a night (runs in the solver process); the plan as JSON."""
    return plan_night(Scenario.from_json(scenario_json), SolveParams(**params)).to_json(indent=None)


def replan_in_worker(state_json: str, call_json: str, now: str, shifts: list[str], after_stops: list[int],
                     reoptimise_s: float | None, reopt_solutions: int | None) -> dict[str, Any]:
    """Re-optimise the rest of the night around the dispatcher's choice (in the solver process)."""
    dec = dispatch(NightState.from_json(state_json), AcuteCall.model_validate_json(call_json), now,
                   policy="reoptimise", choose=(shifts, after_stops), reoptimise_s=reoptimise_s,
                   reopt_solutions=reopt_solutions)
    chosen = dec.chosen
    return {"reoptimised": bool(dec.reoptimised and chosen is not None),
            "shifts": list(chosen.shifts) if chosen else [],
            "added_late_min": chosen.added_late_min if chosen else 0.0,
            "remaining": {n.shift: list(n.remaining) for n in dec.state.nurses}}
