"""Dependencies of the routes: the service context, a database session, the current user
(bearer token) and role checks, and the idempotency key of a write."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ..context import ServeContext
from ..models import User
from ..security import token_user_id

_bearer = HTTPBearer(auto_error=False, description="The token `nachtzorg users add` printed")


def get_ctx(request: Request) -> ServeContext:
    return request.app.state.ctx


CtxDep = Annotated[ServeContext, Depends(get_ctx)]


def get_db(ctx: CtxDep) -> Generator[Session, None, None]:
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def current_user(ctx: CtxDep, session: SessionDep,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The user of the bearer token; 401 without a valid one."""
    unauthorised = HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorised
    uid = token_user_id(creds.credentials)
    if uid is None:
        raise unauthorised
    user = session.get(User, uid)
    if user is None or not ctx.tokens.verify(creds.credentials, user.id, user.token_hash):
        raise unauthorised
    session.expunge(user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: str) -> Callable[[User], User]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"a {user.role} may not do this (needs: {' or '.join(roles)})")
        return user

    return check


def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                      description="Unique per request; a retry sends the same")] = None
                    ) -> str:
    """The ``Idempotency-Key`` header every write carries (1-200 printable characters)."""
    if key is None or not 1 <= len(key) <= 200 or not key.isprintable():
        raise HTTPException(400, "every write needs an Idempotency-Key header (1-200 printable characters, "
                                 "e.g. a UUID), the same on a retry")
    return key


IdemKey = Annotated[str, Depends(idempotency_key)]
Dispatcher = Annotated[User, Depends(require("dispatcher"))]
Planner = Annotated[User, Depends(require("planner"))]
Reader = Annotated[User, Depends(require("dispatcher", "planner"))]
