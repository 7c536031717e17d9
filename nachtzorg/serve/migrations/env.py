"""Alembic environment: runs on the connection handed over by :func:`nachtzorg.serve.db.migrate`.

(``alembic -x url=...`` from a shell also works: then an engine is made from that URL.)
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from nachtzorg.serve.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite:///path.db upgrade head")
    with create_engine(url).begin() as conn:
        _run(conn)
