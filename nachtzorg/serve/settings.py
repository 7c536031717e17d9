"""The service's settings, in one pydantic-settings object (environment prefix ``NACHTZORG_``).

``db``: an SQLAlchemy URL; ``sqlite:///PATH`` (default: ``nachtzorg.db`` in ``data_dir``) or
``postgresql://user:pass@host/db`` (driven by psycopg 3). ``secret_key``: the Fernet key that
encrypts key-safe codes at rest; when unset it is read from ``data_dir/secret.key``, which is
created with mode 0600 on first use. ``drill_start``: run the service as if the wall clock had
been at this instant when it started (drills and demos on a night that is not tonight).
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..exceptions import InputError


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/nachtzorg``, else ``~/.local/share/nachtzorg``."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "nachtzorg"


class ServeSettings(BaseSettings):
    """Everything the service reads from its environment or command line."""

    model_config = SettingsConfigDict(env_prefix="NACHTZORG_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir, description="SQLite file and key file live here")
    db: str | None = Field(default=None, description="Database URL (default: SQLite in data_dir)")
    secret_key: SecretStr | None = Field(default=None, description="Fernet key for key-safe codes")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    plan_time_limit_s: float = Field(default=5.0, gt=0, le=600, description="Planning budget of a night job, s")
    plan_solution_limit: int | None = Field(default=None, ge=1, description="Deterministic planning (tests)")
    replan_time_s: float = Field(default=1.0, gt=0, le=60, description="Re-optimisation budget after an assign, s")
    replan_solutions: int | None = Field(default=None, ge=1, description="Deterministic re-optimisation (tests)")
    night_margin_min: float = Field(default=60.0, ge=0, le=720,
                                    description="A key-safe code may be revealed this long before the first "
                                                "shift starts and after the last one ends, minutes")
    drill_start: _dt.datetime | None = Field(default=None, description="Pretend the clock read this at start-up")

    @field_validator("drill_start")
    @classmethod
    def _aware(cls, v: _dt.datetime | None) -> _dt.datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("drill_start needs a UTC offset, e.g. 2026-11-23T02:00+01:00")
        return v

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL with the driver spelt out (psycopg 3 for PostgreSQL)."""
        url = self.db or f"sqlite:///{(self.data_dir / 'nachtzorg.db').as_posix()}"
        return normalise_db_url(url)


def normalise_db_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` → ``postgresql+psycopg://``; other schemes are refused."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    if url.startswith(("postgresql+psycopg://", "sqlite:///", "sqlite+pysqlite:///")):
        return url
    scheme = url.split(":", 1)[0][:20]
    raise InputError(f"--db: unsupported database URL scheme {scheme!r}; use sqlite:///PATH or postgresql://...")
