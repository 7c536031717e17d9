"""The night log in the database: append (checked, idempotent, one transaction), read, derive.

Appends to one night are serialised by a lock per night in this process and, across
processes, by the unique ``(night_id, seq)`` of the log: a write that loses a race is
retried on the new head. Each entry is applied to the derived state *before* it is stored,
so only entries the library accepts reach the log, and a stored log always replays.
Derived states are cached per night (by ``seq``) and brought up to date from the log.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..exceptions import InputError
from ..acute import advance_state
from ..check import check_plan
from ..model import Scenario
from ..plan import Plan
from .models import IdempotencyKey, KeySafe, Night, NightEvent
from .security import Principal, encrypt
from .state import Derived, Entry, derive

log = logging.getLogger("nachtzorg.serve")


class NotFound(InputError):
    """A night, job or stop that does not exist (or that this user may not see)."""


class Conflict(InputError):
    """An idempotency key reused for a different request, or a write that lost a race;
    ``extra`` goes into the answer (e.g. the options as they stand now)."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.extra = dict(extra or {})


@dataclass
class Stored:
    """A stored answer to an idempotent request."""

    status_code: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    """sha256 of the request (method, path, canonical JSON body)."""
    text = json.dumps([method, path, body], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class NightLog:
    """Reads and appends nights' logs; keeps the derived state of each night in memory."""

    def __init__(self, sessions: sessionmaker[Session], fernet: Fernet,
                 notify: Callable[[str], None] = lambda night_id: None) -> None:
        self.sessions = sessions
        self.fernet = fernet
        self.notify = notify
        self._lock = threading.Lock()
        self._night_locks: dict[str, threading.RLock] = {}
        self._scenarios: dict[str, Scenario] = {}
        self._derived: dict[str, Derived] = {}
        self._now: dict[tuple[str, int, int], Derived] = {}

    # ------------------------------------------------------------------ nights
    def lock(self, night_id: str) -> threading.RLock:
        with self._lock:
            return self._night_locks.setdefault(night_id, threading.RLock())

    def create_night(self, session: Session, scenario: Scenario, user: Principal, *, plan: Plan | None = None) -> Night:
        """Store a new night (scenario without codes; codes encrypted apart) and, when given,
        its plan as the log's first entry (after the independent checker passed it). Caller commits."""
        if plan is not None:
            report = check_plan(scenario, plan)
            if not report.ok:
                raise InputError("the plan does not pass the checker: " + str(report).replace("\n", " / ")[:600])
            derive(scenario, [Entry(1, "plan_published", {"plan": plan.model_dump(mode="json")})])
        night = Night(id="night-" + uuid.uuid4().hex[:12], name=scenario.name, date=scenario.date,
                      scenario_json=scenario.to_json(indent=None), created_by=user.id)
        session.add(night)
        session.flush()
        for c in scenario.clients:
            if c.key_safe_code is not None:
                session.add(KeySafe(night_id=night.id, client_id=c.id,
                                    ciphertext=encrypt(self.fernet, c.key_safe_code.get_secret_value())))
        if plan is not None:
            session.add(NightEvent(night_id=night.id, seq=1, kind="plan_published",
                                   payload={"plan": plan.model_dump(mode="json")}, actor_id=user.id))
        return night

    def night(self, session: Session, night_id: str) -> Night:
        night = session.get(Night, night_id)
        if night is None:
            raise NotFound(f"no night {night_id[:60]!r}")
        return night

    def scenario(self, session: Session, night_id: str) -> Scenario:
        """The night's scenario (one object per night, so the library's caches hit)."""
        sc = self._scenarios.get(night_id)
        if sc is None:
            sc = Scenario.from_json(self.night(session, night_id).scenario_json)
            self._scenarios[night_id] = sc
        return sc

    # ------------------------------------------------------------------ reading
    def head(self, session: Session, night_id: str) -> int:
        return session.scalar(select(func.coalesce(func.max(NightEvent.seq), 0))
                              .where(NightEvent.night_id == night_id)) or 0

    def entries(self, session: Session, night_id: str, *, after: int = 0, upto: int | None = None) -> list[Entry]:
        q = select(NightEvent).where(NightEvent.night_id == night_id, NightEvent.seq > after)
        if upto is not None:
            q = q.where(NightEvent.seq <= upto)
        return [Entry(e.seq, e.kind, e.payload) for e in session.scalars(q.order_by(NightEvent.seq))]

    def rows(self, session: Session, night_id: str, *, after: int = 0) -> list[NightEvent]:
        q = select(NightEvent).where(NightEvent.night_id == night_id, NightEvent.seq > after)
        return list(session.scalars(q.order_by(NightEvent.seq)))

    def current(self, session: Session, night_id: str) -> Derived:
        """The derived night at the log's head (cached; brought up to date from the log once,
        under the night's lock, however many readers ask at the same time)."""
        scenario = self.scenario(session, night_id)
        d = self._derived.get(night_id)
        if d is not None and d.seq >= self.head(session, night_id):
            return d  # (a cached state newer than this read is newer still: fine for a reader)
        with self.lock(night_id):
            d = self._derived.get(night_id)
            head = self.head(session, night_id)
            if d is not None and d.seq >= head:
                return d
            d = derive(scenario, self.entries(session, night_id, after=d.seq if d else 0), since=d)
            self._remember(night_id, d)
            return d

    def _remember(self, night_id: str, d: Derived) -> None:
        with self._lock:
            old = self._derived.get(night_id)
            if old is None or old.seq <= d.seq:
                self._derived[night_id] = d

    def forget(self, night_id: str | None = None) -> None:
        """Drop cached states (all nights when ``night_id`` is None)."""
        with self._lock:
            if night_id is None:
                self._derived.clear()
            else:
                self._derived.pop(night_id, None)

    # ------------------------------------------------------------------ the night now
    def at_now(self, night_id: str, d: Derived, now: _dt.datetime) -> Derived:
        """``d`` with its state moved on to ``now`` (to the minute; at most to the night's end)
        assuming the stops since the last event went as timed: what the pages show. Not stored."""
        if d.state is None:
            return d
        clock = d.state.scenario.clock
        end = max(clock.to_seconds(s.end_time) for s in d.state.scenario.shifts)
        t = min(clock.datetime_to_seconds(now), end)
        t -= t % 60
        if t <= clock.datetime_to_seconds(d.state.as_of):
            return d
        key = (night_id, d.seq, t)
        with self._lock:
            hit = self._now.get(key)
        if hit is None:
            hit = replace(d, state=advance_state(d.state, int(t)))
            with self._lock:
                self._now[key] = hit
                while len(self._now) > 16:
                    self._now.pop(next(iter(self._now)))
        return hit

    # ------------------------------------------------------------------ idempotency
    @staticmethod
    def stored(session: Session, user: Principal, key: str, fp: str) -> Stored | None:
        row = session.get(IdempotencyKey, (user.id, key))
        if row is None:
            return None
        if row.fingerprint != fp:
            raise Conflict("this Idempotency-Key was already used for a different request")
        return Stored(row.status_code, row.response)

    @staticmethod
    def remember(session: Session, user: Principal, key: str, fp: str, status_code: int, body: dict[str, Any]) -> None:
        session.add(IdempotencyKey(user_id=user.id, key=key, fingerprint=fp, status_code=status_code, response=body))

    # ------------------------------------------------------------------ writing
    def append(self, night_id: str, kind: str, payload: dict[str, Any], *, user: Principal | None,
               idem: tuple[str, str] | None = None,
               respond: Callable[[Session, Entry, Derived, Derived], tuple[int, dict[str, Any]]] | None = None,
               expect_head: int | None = None,
               prepare: Callable[[Derived], None] | None = None) -> tuple[int, dict[str, Any], Derived | None]:
        """Append one entry in one transaction; returns (status code, response body, new state).

        ``idem``: (key, fingerprint); a request seen before gets its stored answer and nothing is
        appended. ``respond(session, entry, before, after)`` builds the answer stored with the key (it may
        raise to refuse the entry, or add rows to the same transaction).
        ``expect_head``: append only if the log's head is still this seq (else :class:`Conflict`).
        ``prepare(before)``: may refuse the entry (raise) or complete its payload (e.g. a time no
        earlier than the state's) before the library sees it.
        """
        for attempt in range(3):
            with self.lock(night_id), self.sessions() as session:
                try:
                    with session.begin():
                        if idem is not None and user is not None:
                            hit = self.stored(session, user, idem[0], idem[1])
                            if hit is not None:
                                return hit.status_code, hit.body, None
                        self._lock_night_row(session, night_id)
                        before = self.current(session, night_id)
                        if expect_head is not None and before.seq != expect_head:
                            raise Conflict("the night changed meanwhile")
                        if prepare is not None:
                            prepare(before)
                        entry = Entry(before.seq + 1, kind, payload)
                        after = derive(self.scenario(session, night_id), [entry], since=before)
                        session.add(NightEvent(night_id=night_id, seq=entry.seq, kind=kind, payload=payload,
                                               actor_id=user.id if user is not None else None))
                        status, body = respond(session, entry, before, after) if respond else (201, {"seq": entry.seq})
                        if idem is not None and user is not None:
                            self.remember(session, user, idem[0], idem[1], status, body)
                except IntegrityError:
                    # another writer took this seq or this key first: look again
                    self.forget(night_id)
                    if attempt == 2:
                        raise Conflict("the night is being written by others; try again") from None
                    continue
                self._remember(night_id, after)  # before the lock opens: readers find it cached
            self.notify(night_id)
            return status, body, after
        raise Conflict("the night is being written by others; try again")  # pragma: no cover

    @staticmethod
    def _lock_night_row(session: Session, night_id: str) -> None:
        q = select(Night.id).where(Night.id == night_id)
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
        if session.scalar(q) is None:
            raise NotFound(f"no night {night_id[:60]!r}")


def night_now(scenario: Scenario, now: _dt.datetime) -> str:
    """``now`` as an ISO time in the night's time zone (the library's input)."""
    return now.astimezone(ZoneInfo(scenario.timezone)).isoformat(timespec="seconds")
