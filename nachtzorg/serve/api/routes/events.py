"""``POST /api/nights/{id}/events``: started, done, delayed, unavailable (dispatchers, and a
nurse for her own stops and shift). Idempotent; one transaction per event."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ...security import Principal
from ...schemas import EventIn, jsonable
from ...service import NotFound, fingerprint, night_now
from ...state import Derived, Entry
from ..deps import CtxDep, CurrentUser, IdemKey

router = APIRouter(tags=["events"])


def check_nurse(user: Principal, ev: EventIn, d: Derived) -> None:
    """A nurse reports only for herself and only on stops of her own route."""
    if ev.shift is not None and ev.shift != user.nurse_shift:
        raise HTTPException(403, "a nurse reports events for her own shift only")
    if ev.ref is not None:
        mine = set()
        if d.state is not None:
            mine = {r for n in d.state.nurses if n.shift == user.nurse_shift for r in n.remaining}
            mine |= {f.ref for f in d.state.fixed if f.shift == user.nurse_shift}
        if ev.ref not in mine:
            raise NotFound(f"{ev.ref[:60]!r} is not on your route")


@router.post("/nights/{night_id}/events", status_code=201)
def post_event(night_id: str, ev: EventIn, ctx: CtxDep, user: CurrentUser, key: IdemKey) -> JSONResponse:
    """Append an event to the night's log; answers ``{"seq", "kind", "applied", "at"}``
    (``applied`` false: stored, and it takes effect once the library knows this kind)."""
    if user.role not in ("dispatcher", "nurse"):
        raise HTTPException(403, f"a {user.role} may not report events (needs: dispatcher or nurse)")
    with ctx.sessions() as session:
        scenario = ctx.nights.scenario(session, night_id)
    fp = fingerprint("POST", f"/nights/{night_id}/events", jsonable(ev))
    if user.role == "nurse" and ev.shift is None and ev.kind != "unavailable":
        ev = ev.model_copy(update={"shift": user.nurse_shift})
    payload: dict[str, Any] = {k: v for k, v in ev.model_dump(mode="json").items() if v is not None}
    payload.setdefault("at", night_now(scenario, ctx.clock()))

    def check(before: Derived) -> None:
        if user.role == "nurse":
            check_nurse(user, ev, before)

    def respond(session: Session, entry: Entry, before: Derived, after: Derived) -> tuple[int, dict[str, Any]]:
        applied = not (after.pending and after.pending[-1].seq == entry.seq)
        return 201, {"seq": entry.seq, "kind": entry.kind, "applied": applied, "at": payload["at"]}

    status, body, _ = ctx.nights.append(night_id, ev.kind, payload, user=user, idem=(key, fp), respond=respond,
                                        prepare=check)
    return JSONResponse(body, status_code=status)
