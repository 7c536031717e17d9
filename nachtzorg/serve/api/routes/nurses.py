"""A nurse's route and the key-safe code of a stop on it.

``GET /api/nights/{id}/nurses/{nurse}/route``: dispatchers and planners any nurse's; a nurse
only her own (another's: 404). ``POST .../nurses/{nurse}/stops/{ref}/key-safe``: only the nurse
who has that stop (to go or under way), only during that night (from an hour before the first
shift to an hour after the last, ``night_margin_min``); every request is written to the audit
(who, which stop, when, what came of it), and the code is in that one answer only.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ....acute import AcuteInputError
from ...models import KeySafe, KeySafeReveal
from ...security import Principal
from ...security import decrypt
from ...service import NotFound
from ...views import nurse_route
from ..deps import CtxDep, CurrentUser

router = APIRouter(tags=["nurses"])


def _may_see(user: Principal, shift: str) -> None:
    if user.role in ("dispatcher", "planner"):
        return
    if user.role == "nurse":
        if user.nurse_shift != shift:
            raise NotFound("no such route for you")
        return
    raise HTTPException(403, f"a {user.role} may not see routes (needs: dispatcher, planner or that nurse)")


@router.get("/nights/{night_id}/nurses/{shift}/route")
def read_route(night_id: str, shift: str, ctx: CtxDep, user: CurrentUser) -> dict[str, Any]:
    """Tonight's route of one nurse: done, under way, next, then the rest; partner for two-nurse
    stops; ``key_safe`` says a code can be asked for (never the code)."""
    _may_see(user, shift)
    with ctx.sessions() as session:
        d = ctx.nights.current(session, night_id)
        scenario = ctx.nights.scenario(session, night_id)
        clients = _key_safe_clients(session, night_id)
    d = ctx.nights.at_now(night_id, d, ctx.clock())
    if d.state is None:
        raise NotFound("this night has no published plan yet")
    try:
        route = nurse_route(scenario, d, shift, clients)
    except AcuteInputError:
        raise NotFound(f"no nurse {shift[:60]!r} on this night") from None
    return {**route, "night_id": night_id}


def _key_safe_clients(session, night_id: str) -> set[str]:  # noqa: ANN001
    return set(session.scalars(select(KeySafe.client_id).where(KeySafe.night_id == night_id)))


def _night_span(scenario) -> tuple[_dt.datetime, _dt.datetime]:  # noqa: ANN001
    clock = scenario.clock
    a = min(clock.to_seconds(s.start_time) for s in scenario.shifts)
    b = max(clock.to_seconds(s.end_time) for s in scenario.shifts)
    return clock.to_datetime(a), clock.to_datetime(b)


@router.post("/nights/{night_id}/nurses/{shift}/stops/{ref}/key-safe")
def reveal_key_safe(night_id: str, shift: str, ref: str, ctx: CtxDep, user: CurrentUser) -> JSONResponse:
    """The key-safe code of the client at stop ``ref``, for the nurse going there (audited)."""
    with ctx.sessions.begin() as session:
        ctx.nights.night(session, night_id)
        outcome, status, detail, code = _decide(ctx, session, night_id, shift, ref, user)
        session.add(KeySafeReveal(night_id=night_id, user_id=user.id, shift=shift[:64], stop=ref[:64],
                                  outcome=outcome, at=ctx.clock().astimezone(_dt.timezone.utc)))
    if code is None:
        return JSONResponse({"detail": detail}, status_code=status)
    return JSONResponse({"night_id": night_id, "shift": shift, "ref": ref, "code": code},
                        headers={"Cache-Control": "no-store"})


def _decide(ctx, session, night_id: str, shift: str, ref: str, user: Principal) -> tuple[str, int, str, str | None]:  # noqa: ANN001
    """(audit outcome, status, message, code or None)."""
    if user.role != "nurse":
        return "refused:role", 403, f"a {user.role} may not see key-safe codes; only the nurse at the door", None
    if user.nurse_shift != shift:
        return "refused:other_nurse", 404, "no such stop on your route", None
    scenario = ctx.nights.scenario(session, night_id)
    d = ctx.nights.current(session, night_id)
    mine = set()
    if d.state is not None:
        mine = {r for n in d.state.nurses if n.shift == shift for r in n.remaining}
        mine |= {f.ref for f in d.state.fixed if f.shift == shift and f.status == "in_progress"}
    if ref not in mine:
        return "refused:not_on_route", 404, "no such stop on your route (to go or under way)", None
    a, b = _night_span(scenario)
    margin = _dt.timedelta(minutes=ctx.settings.night_margin_min)
    now = ctx.clock()
    if not a - margin <= now <= b + margin:
        return "refused:outside_night", 403, "key-safe codes are shown only during the night itself", None
    visits = {v.id: v.client for v in scenario.visits}
    client = visits.get(ref) or (d.calls[ref].client if ref in d.calls else None)
    row = session.get(KeySafe, (night_id, client)) if client else None
    if row is None:
        return "no_code", 404, "this stop has no key-safe code", None
    return "revealed", 200, "", decrypt(ctx.fernet, row.ciphertext)
