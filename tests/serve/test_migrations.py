"""Migrations run on an empty database (SQLite here; PostgreSQL when
NACHTZORG_TEST_POSTGRES_URL is set) and again as a no-op; the service then works on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from nachtzorg.serve.db import DatabaseError, make_engine, migrate, tables
from nachtzorg.serve.settings import normalise_db_url
from tests.serve.conftest import start_service, stop_of, used_shifts

TABLES = {"users", "nights", "night_events", "idempotency_keys", "key_safes", "key_safe_reveals", "jobs",
          "alembic_version"}


def test_migrations_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    """An empty file gets every table at head; a second run changes nothing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    assert tables(engine) == TABLES
    with engine.connect() as c:
        v = c.execute(text("select version_num from alembic_version")).scalar()
    migrate(engine)
    with engine.connect() as c:
        assert c.execute(text("select version_num from alembic_version")).scalar() == v == "0001"


def test_unusable_database_is_one_clear_error(tmp_path: Path) -> None:
    """A SQLite path inside a file, or an unreachable PostgreSQL, is a DatabaseError naming it."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatabaseError, match="cannot create the folder"):
        migrate(make_engine(f"sqlite:///{tmp_path / 'file' / 'x.db'}"))
    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    with pytest.raises(DatabaseError, match="cannot open or migrate"):
        migrate(make_engine(f"sqlite:///{tmp_path / 'junk.db'}"))
    with pytest.raises(DatabaseError, match="\\*\\*\\*"):
        migrate(make_engine(normalise_db_url("postgresql://u:hunter2@127.0.0.1:1/none")))


@pytest.fixture()
def pg_url() -> str:
    url = os.environ.get("NACHTZORG_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("NACHTZORG_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server and sets it)")
    engine = make_engine(normalise_db_url(url))
    with engine.begin() as c:  # an empty database for each test
        c.execute(text("drop schema public cascade"))
        c.execute(text("create schema public"))
    engine.dispose()
    return url


def test_migrations_on_empty_postgres(pg_url: str) -> None:
    """PostgreSQL: every table at head, and again as a no-op."""
    engine = make_engine(normalise_db_url(pg_url))
    migrate(engine)
    migrate(engine)
    assert tables(engine) == TABLES
    engine.dispose()


def test_service_on_postgres(pg_url: str, tmp_path: Path, night_data: dict) -> None:
    """Publish, report, take and assign a call, retry once: the same rules hold on PostgreSQL."""
    for svc in start_service(tmp_path, night_data, db=pg_url):
        shift = used_shifts(svc)[0]
        ref = stop_of(svc, shift)["ref"]
        n = f"/api/nights/{svc.night_id}"
        key = uuid.uuid4().hex
        a = svc.post(shift, n + "/events", {"kind": "started", "ref": ref, "at": "23:40"}, idem=key)
        b = svc.post(shift, n + "/events", {"kind": "started", "ref": ref, "at": "23:40"}, idem=key)
        assert a.status_code == b.status_code == 201 and a.json() == b.json()
        opts = svc.post("dispatcher", n + "/calls", {"id": "c1", "location": {"lat": 52.99, "lon": 6.6},
                                                      "now": "23:50"}).json()["options"]
        assert svc.post("dispatcher", n + "/calls/c1/assign", opts[0]).status_code == 202
        kinds = [e["kind"] for e in svc.get("dispatcher", n + "/events").json()["events"]]
        assert kinds[:4] == ["plan_published", "started", "call_received", "call_assigned"]
        assert svc.post(shift, n + f"/nurses/{shift}/stops/{ref}/key-safe", idem=None).status_code == 200
