"""``GET /api/jobs/{job}``: a planning or re-planning job (planners and dispatchers)."""

from __future__ import annotations

from fastapi import APIRouter

from ...models import Job, as_utc
from ...schemas import JobOut
from ...service import NotFound
from ..deps import CtxDep, Reader

router = APIRouter(tags=["jobs"])


def job_out(job: Job) -> JobOut:
    return JobOut(job=job.id, night_id=job.night_id, kind=job.kind, status=job.status, detail=job.detail,
                  created_at=as_utc(job.created_at), finished_at=as_utc(job.finished_at))


@router.get("/jobs/{job_id}", response_model=JobOut)
def read_job(job_id: str, ctx: CtxDep, user: Reader) -> JobOut:
    """Status of a job: queued, running, done, failed or skipped, with a one-line detail."""
    with ctx.sessions() as session:
        job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id[:60]!r}")
    return job_out(job)
