"""Alembic migrations, run from code: at start, and by ``catalog-service db upgrade``.

Two replicas starting together must not both migrate: on PostgreSQL the upgrade holds a
transaction-level advisory lock (released at commit, also when the process dies); on SQLite its
transaction begins IMMEDIATE, which serializes it the same way. The whole upgrade is one
transaction on both, so a failed migration leaves the schema as it was.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from catalog_service.db.engine import create_engine, describe, redact
from catalog_service.errors import DatabaseError

if TYPE_CHECKING:
    from catalog_service.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; every replica of the service takes the same one.
ADVISORY_LOCK_KEY = 0xCA7A1096
logger = logging.getLogger(__name__)


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration for this package's migrations, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database at ``url`` to ``revision``; answers the revision it is at afterwards.

    Raises :class:`DatabaseError` (the URL's password hidden) when it cannot be reached or
    migrated.
    """
    engine = create_engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            command.upgrade(alembic_config(connection), revision)
            current: str | None = connection.scalar(text("SELECT version_num FROM alembic_version"))
    except (SQLAlchemyError, CommandError) as error:
        raise DatabaseError(
            f"cannot migrate the database {redact(url)}: {describe(error, url)}"
        ) from error
    finally:
        engine.dispose()
    logger.info("database %s is at revision %s", redact(url), current)
    return current


RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


async def migrate_at_start(database: Database) -> asyncio.Task[None] | None:
    """Migrate ``database`` before the service answers; when it cannot be reached, go on without
    it and keep trying in the background (answered: that task), with a backoff of 1 s doubling up
    to 30 s. Until then every write answers 503 ``database_unavailable`` and ``/readyz`` says
    why; the catalog is served all the same (it needs no database)."""
    try:
        await asyncio.to_thread(upgrade, database.url)
    except DatabaseError as error:
        database.health.migrated = False
        database.health.failed(error.message)
        logger.error("%s; retrying in the background, writes answer 503 meanwhile", error)
        return asyncio.create_task(_migrate_until_done(database))
    return None


async def _migrate_until_done(database: Database) -> None:
    delay = RETRY_FIRST_SECONDS
    while True:
        await asyncio.sleep(delay)
        try:
            await asyncio.to_thread(upgrade, database.url)
        except DatabaseError as error:
            database.health.failed(error.message)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            logger.warning("%s; next try in %.0f s", error, delay)
            continue
        database.health.migrated = True
        database.health.succeeded()
        logger.info("the database is reachable again and migrated: writes are accepted")
        return
