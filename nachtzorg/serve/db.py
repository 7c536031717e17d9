"""Engine, sessions and migrations (Alembic, run programmatically at start-up).

SQLite runs in WAL mode with ``synchronous=FULL``: a write acknowledged to a client is on
disk, so a ``kill -9`` of the server loses nothing it answered. PostgreSQL needs nothing
special (psycopg 3).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..exceptions import InputError

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(InputError):
    """The database cannot be opened or migrated (the message names the URL without password)."""


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown by its scheme only
        return url.split(":", 1)[0] + ":..."


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            try:
                Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DatabaseError(f"cannot create the folder of the database {safe_url(url)}: {e.strerror}") from None
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as e:  # noqa: BLE001 - any driver error becomes one clear line
        raise DatabaseError(f"cannot open or migrate the database {safe_url(str(engine.url))}: "
                            f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}") from None


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
