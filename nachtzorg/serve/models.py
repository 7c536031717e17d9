"""The service's tables (SQLAlchemy 2). The night is an append-only log of events.

Nothing here is overwritten once written, except a job's progress and a user's token:
``night_events`` only grows; the state of a night is derived from its scenario and its log
(:func:`nachtzorg.serve.state.derive`). Key-safe codes live only in ``key_safes``, encrypted
(Fernet); ``key_safe_reveals`` records every request to see one. Times are UTC.
"""

from __future__ import annotations

import datetime as _dt

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("dispatcher", "nurse", "planner", "coordinator")


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def as_utc(value: _dt.datetime | None) -> _dt.datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=_dt.timezone.utc) if value.tzinfo is None else value.astimezone(_dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    """A person with a role; only an argon2 hash of the bearer token is kept."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(64))
    nurse_shift: Mapped[str | None] = mapped_column(String(64), doc="The shift id a nurse works under")
    token_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Night(Base):
    """A published night: its scenario (JSON without key-safe codes) and who made it."""

    __tablename__ = "nights"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[_dt.date] = mapped_column(Date)
    scenario_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NightEvent(Base):
    """One entry of a night's log; ``seq`` counts 1, 2, ... per night."""

    __tablename__ = "night_events"
    __table_args__ = (UniqueConstraint("night_id", "seq", name="uq_event_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    night_id: Mapped[str] = mapped_column(ForeignKey("nights.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyKey(Base):
    """A write request already answered: a retry with the same key gets the same answer."""

    __tablename__ = "idempotency_keys"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), doc="sha256 of method, path and body")
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KeySafe(Base):
    """A client's key-safe code for one night, encrypted with the service's Fernet key."""

    __tablename__ = "key_safes"
    night_id: Mapped[str] = mapped_column(ForeignKey("nights.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class KeySafeReveal(Base):
    """The audit log of key-safe requests: who, which stop, when, and whether it was shown."""

    __tablename__ = "key_safe_reveals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    night_id: Mapped[str] = mapped_column(ForeignKey("nights.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shift: Mapped[str] = mapped_column(String(64))
    stop: Mapped[str] = mapped_column(String(64), doc="Visit (or call) id")
    outcome: Mapped[str] = mapped_column(String(32), doc="revealed | no_code | refused:<reason>")
    at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """Background work on a night: planning it, or re-optimising after an assign."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    night_id: Mapped[str] = mapped_column(ForeignKey("nights.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), doc="plan | replan")
    status: Mapped[str] = mapped_column(String(16), doc="queued | running | done | failed | skipped")
    detail: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[_dt.datetime | None] = mapped_column(DateTime(timezone=True))
