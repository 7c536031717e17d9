"""``GET /api/nights/{id}/stream``: server-sent events, one per log entry (``id`` = seq), plus
``job`` events when a planning or re-planning job ends. A dispatcher or planner gets each
entry's kind and payload; a nurse only ``{"seq", "kind"}`` (her page then reloads her route);
a coordinator gets no stream. Resume with ``Last-Event-ID`` or ``?after=SEQ``."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from fastapi import APIRouter, Header, HTTPException, Query, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from sqlalchemy import select

from ...models import Job
from ..deps import CtxDep, CurrentUser

router = APIRouter(tags=["stream"])

#: Streams look at the log at least this often, seconds (other processes may write).
POLL_S = 5.0


@router.get("/nights/{night_id}/stream")
async def stream(night_id: str, request: Request, ctx: CtxDep, user: CurrentUser,
                 after: int | None = Query(default=None, ge=0),
                 last_event_id: str | None = Header(default=None, alias="Last-Event-ID")) -> EventSourceResponse:
    """Every change of the night as it happens (text/event-stream)."""
    if user.role not in ("dispatcher", "planner", "nurse"):
        raise HTTPException(403, f"a {user.role} has no live stream (totals: /api/nights/{{id}}/totals)")

    def head_and_jobs() -> tuple[int, dict[str, str]]:
        with ctx.sessions() as session:
            ctx.nights.night(session, night_id)
            if user.role == "nurse":
                sc = ctx.nights.scenario(session, night_id)
                if user.nurse_shift not in {s.id for s in sc.shifts}:
                    raise HTTPException(404, "your shift is not on this night")
            jobs = {j.id: j.status for j in session.scalars(select(Job).where(Job.night_id == night_id))}
            return ctx.nights.head(session, night_id), jobs

    head, jobs = await run_in_threadpool(head_and_jobs)
    start = after if after is not None else head
    if last_event_id and last_event_id.isdigit():
        start = int(last_event_id)

    def read(since: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
        with ctx.sessions() as session:
            rows = ctx.nights.rows(session, night_id, after=since)
            now_jobs = {j.id: (j.status, j.kind, j.detail) for j in
                        session.scalars(select(Job).where(Job.night_id == night_id))}
        out = []
        for r in rows:
            data: dict[str, Any] = {"seq": r.seq, "kind": r.kind}
            if user.role != "nurse":
                data["payload"] = {k: v for k, v in r.payload.items() if k != "plan"}
            out.append(data)
        return out, now_jobs

    async def events() -> AsyncIterator[dict[str, Any]]:
        last = start
        seen = dict(jobs)
        woken = ctx.bus.subscribe(night_id)
        try:
            yield {"event": "hello", "data": json.dumps({"seq": head, "role": user.role})}
            while True:
                woken.clear()
                async for item in _batch(last, seen):
                    if "id" in item:
                        last = int(item["id"])
                    yield item
                try:
                    await asyncio.wait_for(woken.wait(), POLL_S)
                except asyncio.TimeoutError:
                    pass
        finally:
            ctx.bus.unsubscribe(night_id, woken)

    async def _batch(last: int, seen: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        rows, now_jobs = await run_in_threadpool(read, last)
        for data in rows:
            yield {"id": str(data["seq"]), "event": data["kind"], "data": json.dumps(data)}
        if user.role != "nurse":
            for job_id, (status, kind, detail) in now_jobs.items():
                if seen.get(job_id) != status:
                    seen[job_id] = status
                    yield {"event": "job", "data": json.dumps({"job": job_id, "kind": kind, "status": status,
                                                               "detail": detail})}

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
