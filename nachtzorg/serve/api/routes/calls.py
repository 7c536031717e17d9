"""Acute calls (dispatchers): ``POST /api/nights/{id}/calls`` ranks who could go (the JSON of
``nachtzorg dispatch --json``) and logs the call; ``POST .../calls/{call_id}/assign`` applies the
chosen option and re-plans the rest of the night in the background."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ....acute import dispatch
from ....exceptions import InputError
from ...schemas import AssignIn, CallRequest, jsonable
from ...service import Conflict, fingerprint, night_now
from ...state import Derived, Entry, assign_time, later
from ..deps import CtxDep, Dispatcher, IdemKey

router = APIRouter(tags=["calls"])


@router.post("/nights/{night_id}/calls")
def post_call(night_id: str, body: CallRequest, ctx: CtxDep, user: Dispatcher, key: IdemKey) -> JSONResponse:
    """Log the call and answer the ranked options (nothing is assigned yet)."""
    with ctx.sessions() as session:
        scenario = ctx.nights.scenario(session, night_id)
    now = body.now or night_now(scenario, ctx.clock())
    call = body.call()
    if call.received is None:
        call = call.model_copy(update={"received": now})
    fp = fingerprint("POST", f"/nights/{night_id}/calls", jsonable(body))
    # Rank outside the night's lock (the slow part); reused when the state is still the same
    # object inside it (receiving a call does not change the state, so it usually is).
    with ctx.sessions() as session:
        snapshot = ctx.nights.current(session, night_id).state
    early = None
    if snapshot is not None:
        try:
            early = dispatch(snapshot, call, now)
        except InputError:
            early = None  # the check inside the lock words the error

    payload = {"call": call.model_dump(mode="json"), "now": now}

    def prepare(before: Derived) -> None:
        # "now" from the clock is no earlier than the night's last event (reported a moment ago)
        if body.now is None and before.state is not None:
            payload["now"] = later(scenario, now, before.state.as_of.isoformat())

    def respond(session: Session, entry: Entry, before: Derived, after: Derived) -> tuple[int, dict[str, Any]]:
        same = early is not None and before.state is snapshot and payload["now"] == now
        dec = early if same else dispatch(before.state, call, payload["now"])
        return 200, {"seq": entry.seq, **json.loads(dec.to_json(include_state=False, indent=None))}

    status, out, _ = ctx.nights.append(night_id, "call_received", payload, user=user, idem=(key, fp),
                                       respond=respond, prepare=prepare)
    return JSONResponse(out, status_code=status)


@router.post("/nights/{night_id}/calls/{call_id}/assign", status_code=202)
def assign_call(night_id: str, call_id: str, body: AssignIn, ctx: CtxDep, user: Dispatcher,
                key: IdemKey) -> JSONResponse:
    """Send the chosen nurse(s); answers the option as applied and the re-planning job."""
    with ctx.sessions() as session:
        scenario = ctx.nights.scenario(session, night_id)
    now = body.now or night_now(scenario, ctx.clock())
    payload = {"call_id": call_id, "shifts": body.shifts, "after_stops": body.after_stops, "now": now}
    fp = fingerprint("POST", f"/nights/{night_id}/calls/{call_id}/assign", jsonable(body))
    todo: dict[str, Any] = {}

    def prepare(before: Derived) -> None:
        # The night may have moved on since the options were shown: say so with today's options.
        call = before.calls.get(call_id)
        known = {n.shift for n in before.state.nurses} if before.state is not None else set()
        if (call is None or call_id in before.assigned or set(body.shifts) - known
                or len(body.shifts) != len(body.after_stops)):
            return  # the log's own check words these (unknown call or nurse, already assigned)
        dec = dispatch(before.state, call, assign_time(before, call_id, now))
        if not any(o.shifts == body.shifts and o.after_stops == body.after_stops for o in dec.options):
            raise Conflict("the chosen option is no longer possible (the night moved on); choose again",
                           {"options": [o.model_dump(mode="json") for o in dec.options], "message": dec.message})

    def respond(session: Session, entry: Entry, before: Derived, after: Derived) -> tuple[int, dict[str, Any]]:
        job = ctx.jobs.new(session, night_id, "replan", {"call_id": call_id, "based_on": entry.seq})
        todo.update(job=job.id, before=before, seq=entry.seq, now=after.state.as_of.isoformat())
        return 202, {"seq": entry.seq, "call_id": call_id, "shifts": body.shifts, "after_stops": body.after_stops,
                     "now": now, "job": job.id}

    status, out, _ = ctx.nights.append(night_id, "call_assigned", payload, user=user, idem=(key, fp),
                                       respond=respond, prepare=prepare)
    if todo:
        before: Derived = todo["before"]
        ctx.jobs.submit_replan(todo["job"], before.state, before.calls[call_id],
                               {**payload, "now": todo["now"], "based_on": todo["seq"]})
    return JSONResponse(out, status_code=status)
