"""Dependencies of the routes: the service context, the current user (bearer token) and role
checks, and the idempotency key of a write. They are ``async`` and touch the database only on
a token not seen for a few minutes, so a request costs one hop to a worker thread (its route).
Routes open their database sessions themselves (``with ctx.sessions() as session``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..context import ServeContext
from ..models import User
from ..security import Principal, token_user_id

_bearer = HTTPBearer(auto_error=False, description="The token `nachtzorg users add` printed")


async def get_ctx(request: Request) -> ServeContext:
    return request.app.state.ctx


CtxDep = Annotated[ServeContext, Depends(get_ctx)]


def _lookup(ctx: ServeContext, token: str, uid: int) -> Principal | None:
    with ctx.sessions() as session:
        user = session.get(User, uid)
        if user is None:
            return None
        who = Principal(user.id, user.name, user.role, user.organisation, user.nurse_shift)
        token_hash = user.token_hash
    return who if ctx.tokens.verify(token, token_hash, who) else None


async def current_user(ctx: CtxDep,
                       creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The user of the bearer token; 401 without a valid one."""
    unauthorised = HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorised
    token = creds.credentials
    who = ctx.tokens.remembered(token)
    if who is not None:
        return who
    uid = token_user_id(token)
    if uid is None:
        raise unauthorised
    who = await run_in_threadpool(_lookup, ctx, token, uid)
    if who is None:
        raise unauthorised
    return who


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(403, f"a {user.role} may not do this (needs: {' or '.join(roles)})")
        return user

    return check


async def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                            description="Unique per request; a retry sends the same")]
                          = None) -> str:
    """The ``Idempotency-Key`` header every write carries (1-200 printable characters)."""
    if key is None or not 1 <= len(key) <= 200 or not key.isprintable():
        raise HTTPException(400, "every write needs an Idempotency-Key header (1-200 printable characters, "
                                 "e.g. a UUID), the same on a retry")
    return key


IdemKey = Annotated[str, Depends(idempotency_key)]
Dispatcher = Annotated[Principal, Depends(require("dispatcher"))]
Planner = Annotated[Principal, Depends(require("planner"))]
Reader = Annotated[Principal, Depends(require("dispatcher", "planner"))]
