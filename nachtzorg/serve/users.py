"""Adding users: a row with an argon2 hash of a fresh bearer token; the token is returned once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..exceptions import InputError
from .models import ROLES, User
from .security import hash_token, new_token


def add_user(sessions: sessionmaker[Session], name: str, role: str, *, organisation: str | None = None,
             nurse_shift: str | None = None) -> str:
    """Store a user and return the bearer token (the only time it exists in clear)."""
    if role not in ROLES:
        raise InputError(f"role {role[:20]!r}: choose from {', '.join(ROLES)}")
    if (role == "nurse") != (nurse_shift is not None):
        raise InputError("a nurse needs her shift id, and only a nurse has one")
    with sessions.begin() as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise InputError(f"a user named {name!r} exists already")
        user = User(name=name, role=role, organisation=organisation, nurse_shift=nurse_shift, token_hash="-")
        session.add(user)
        session.flush()
        token = new_token(user.id)
        user.token_hash = hash_token(token)
    return token
