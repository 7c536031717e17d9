"""What a running service holds: settings, database, night log, jobs, streams, clock."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import Callable

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .bus import Broadcaster
from .jobs import JobRunner
from .security import TokenVerifier
from .service import NightLog
from .settings import ServeSettings

Clock = Callable[[], _dt.datetime]


def wall_clock() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def drill_clock(start: _dt.datetime) -> Clock:
    """A clock that reads ``start`` now and runs on in real time."""
    t0 = time.monotonic()
    return lambda: start + _dt.timedelta(seconds=time.monotonic() - t0)


@dataclass
class ServeContext:
    settings: ServeSettings
    engine: Engine
    sessions: sessionmaker[Session]
    fernet: Fernet
    nights: NightLog
    jobs: JobRunner
    bus: Broadcaster
    clock: Clock
    tokens: TokenVerifier = field(default_factory=TokenVerifier)
