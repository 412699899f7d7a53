"""Alembic's environment, configured from code: ``catalog_service.db.migrate`` hands it the
connection (no alembic.ini is read at run time)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from catalog_service.db.models import Base, UTCDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """New revisions spell the models' UTCDateTime as the column type it is stored as."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError(
            "run the migrations with `catalog-service db upgrade` or catalog_service.db.upgrade()"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters tables by copying them; autogenerate writes such migrations for it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The upgrade runs in one transaction on SQLite too (its DDL is transactional).
        transactional_ddl=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
