"""Nights: publish one (planners), list them, read one (dispatchers, planners), its log (the
export), its totals (coordinators too), and the key-safe audit."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...models import Job, KeySafeReveal, Night, User, as_utc
from ...security import Principal
from ...schemas import NightCreate, NightSummary, jsonable
from ...service import Conflict, fingerprint
from ...views import night_view, totals
from ..deps import CtxDep, CurrentUser, IdemKey, Planner, Reader, require

router = APIRouter(tags=["nights"])


@router.post("/nights", status_code=201, responses={202: {"description": "Accepted: being planned"}})
def create_night(body: NightCreate, ctx: CtxDep, user: Planner, key: IdemKey) -> JSONResponse:
    """Publish a night. With a plan: checked and published (201). Without: planned in the
    background (202 and a job to poll at ``/api/jobs/{job}``)."""
    fp = fingerprint("POST", "/nights", jsonable(body))  # key-safe codes dump as '**********'
    nights = ctx.nights
    job_id = None
    try:
        with ctx.sessions.begin() as session:
            hit = nights.stored(session, user, key, fp)
            if hit is not None:
                return JSONResponse(hit.body, status_code=hit.status_code)
            night = nights.create_night(session, body.scenario, user, plan=body.plan)
            if body.plan is None:
                job_id = ctx.jobs.new(session, night.id, "plan", {}).id
                status, out = 202, {"night_id": night.id, "job": job_id}
            else:
                status, out = 201, {"night_id": night.id, "job": None}
            nights.remember(session, user, key, fp, status, out)
    except IntegrityError:
        with ctx.sessions() as session:
            hit = nights.stored(session, user, key, fp)
        if hit is None:
            raise Conflict("the night could not be stored; try again") from None
        return JSONResponse(hit.body, status_code=hit.status_code)
    if job_id is not None:
        ctx.jobs.submit_plan(job_id)
    return JSONResponse(out, status_code=status)


def _status(session, night_id: str, seq: int) -> str:  # noqa: ANN001
    if seq > 0:
        return "live"
    failed = session.scalar(select(func.count()).select_from(Job).where(
        Job.night_id == night_id, Job.kind == "plan", Job.status == "failed"))
    return "failed" if failed else "planning"


@router.get("/nights", response_model=list[NightSummary])
def list_nights(ctx: CtxDep, user: CurrentUser) -> list[NightSummary]:
    """The nights, newest first (a nurse: only nights with her shift on)."""
    with ctx.sessions() as session:
        return _list(ctx, session, user)


def _list(ctx, session, user: Principal) -> list[NightSummary]:  # noqa: ANN001
    out = []
    for night in session.scalars(select(Night).order_by(Night.created_at.desc()).limit(100)):
        if user.role == "nurse":
            sc = ctx.nights.scenario(session, night.id)
            if user.nurse_shift not in {s.id for s in sc.shifts}:
                continue
        seq = ctx.nights.head(session, night.id)
        out.append(NightSummary(night_id=night.id, name=night.name, date=night.date,
                                status=_status(session, night.id, seq), seq=seq,
                                created_at=as_utc(night.created_at)))
    return out


#: The JSON of recent night views by (night, seq): many dispatchers' screens read the same.
_VIEWS: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
_VIEWS_LOCK = threading.Lock()


def _view_json(night_id: str, scenario, d) -> bytes:  # noqa: ANN001
    key = (night_id, d.seq, d.state.as_of.isoformat() if d.state is not None else "")
    with _VIEWS_LOCK:
        hit = _VIEWS.get(key)
    if hit is None:
        hit = json.dumps(night_view(scenario, d), separators=(",", ":")).encode()
        with _VIEWS_LOCK:
            _VIEWS[key] = hit
            while len(_VIEWS) > 8:
                _VIEWS.popitem(last=False)
    return hit


@router.get("/nights/{night_id}")
def read_night(night_id: str, ctx: CtxDep, user: Reader) -> Response:
    """The whole night: scenario (no key-safe codes), plan, derived state, board, calls, jobs."""
    with ctx.sessions() as session:
        d = ctx.nights.current(session, night_id)
        scenario = ctx.nights.scenario(session, night_id)
        jobs = session.scalars(select(Job).where(Job.night_id == night_id).order_by(Job.created_at.desc()).limit(20))
        head = {"night_id": night_id, "status": _status(session, night_id, d.seq),
                "jobs": [{"job": j.id, "kind": j.kind, "status": j.status, "detail": j.detail} for j in jobs]}
    view = _view_json(night_id, scenario, ctx.nights.at_now(night_id, d, ctx.clock()))
    return Response(json.dumps(head, separators=(",", ":")).encode()[:-1] + b"," + view[1:],
                    media_type="application/json")


@router.get("/nights/{night_id}/events")
def read_events(night_id: str, ctx: CtxDep, user: Reader, after: int = Query(default=0, ge=0)) -> JSONResponse:
    """The night's log after ``after`` (the export: replaying it gives the night's state)."""
    with ctx.sessions() as session:
        return JSONResponse(_events(ctx, session, night_id, after))


def _events(ctx, session, night_id: str, after: int) -> dict[str, Any]:  # noqa: ANN001
    ctx.nights.night(session, night_id)
    names = dict(session.execute(select(User.id, User.name)).all())
    return {"night_id": night_id, "scenario": ctx.nights.night(session, night_id).scenario_json,
            "events": [{"seq": e.seq, "kind": e.kind, "payload": e.payload, "actor": names.get(e.actor_id),
                        "recorded_at": as_utc(e.recorded_at).isoformat()} for e in ctx.nights.rows(session, night_id,
                                                                                         after=after)]}


@router.get("/nights/{night_id}/totals")
def read_totals(night_id: str, ctx: CtxDep,
                user: Principal = Depends(require("coordinator", "dispatcher", "planner"))) -> dict[str, Any]:
    """Counts per organisation and for the night; never a client."""
    with ctx.sessions() as session:
        d = ctx.nights.current(session, night_id)
        scenario = ctx.nights.scenario(session, night_id)
    return {"night_id": night_id, **totals(scenario, ctx.nights.at_now(night_id, d, ctx.clock()))}


@router.get("/nights/{night_id}/key-safe-reveals")
def read_reveals(night_id: str, ctx: CtxDep, user: Reader) -> list[dict[str, Any]]:
    """The audit of key-safe requests: who, which stop, when, and what was shown (never the code)."""
    with ctx.sessions() as session:
        return _reveals(ctx, session, night_id)


def _reveals(ctx, session, night_id: str) -> list[dict[str, Any]]:  # noqa: ANN001
    ctx.nights.night(session, night_id)
    names = dict(session.execute(select(User.id, User.name)).all())
    rows = session.scalars(select(KeySafeReveal).where(KeySafeReveal.night_id == night_id).order_by(KeySafeReveal.id))
    return [{"user": names.get(r.user_id), "shift": r.shift, "stop": r.stop, "outcome": r.outcome,
             "at": as_utc(r.at).isoformat()} for r in rows]

