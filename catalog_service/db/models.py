"""The tables of docs/architecture.md §6.6, as typed SQLAlchemy 2 models.

The catalog itself is never stored here (git is its source of truth): only what git cannot tell
again later, such as who ran which action, which pull requests were merged, and the adoption series.
Every timestamp is timezone-aware UTC in Python, whatever the database stores.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from catalog_service.vocabulary import ACTION_OUTCOMES

OUTCOMES = ACTION_OUTCOMES


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both databases.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zone, so it stores naive UTC (which also
    sorts as text). A naive datetime is refused: its time zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _check_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    # Named constraints: the same names on both databases, so later migrations can refer to them.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class AuditEntry(Base):
    """One call of a self-service action (docs/architecture.md §6.4), also a refused one."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint(_check_in("outcome", OUTCOMES), name="outcome"),
        Index(None, "created_at", "id"),
        Index(None, "action", "outcome"),
        Index(None, "application", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(64))
    # The application the call concerns (audit_application.application_of), for its own log.
    application: Mapped[str | None] = mapped_column(String(255))
    inputs: Mapped[dict[str, Any]]
    dry_run: Mapped[bool]
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    branch: Mapped[str | None] = mapped_column(String(255))
    pull_request_url: Mapped[str | None] = mapped_column(String(2048))
    duration_seconds: Mapped[float] = mapped_column(Float)
    # The X-Request-Id of the request that ran the action: its log lines carry the same id.
    request_id: Mapped[str | None] = mapped_column(String(128))


class PullRequestRecord(Base):
    """A merged pull request that touched manifests (docs/architecture.md §6.5)."""

    __tablename__ = "pull_requests"
    __table_args__ = (
        UniqueConstraint("repository", "number"),
        Index(None, "merged_at", "id"),
        Index(None, "author"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository: Mapped[str] = mapped_column(String(255))  # owner/name
    number: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))  # GitHub login
    url: Mapped[str | None] = mapped_column(String(2048))  # links an audit entry to its merge
    merged_at: Mapped[dt.datetime]
    merge_commit_sha: Mapped[str | None] = mapped_column(String(64))
    paths: Mapped[list[str]]
    autonomous: Mapped[bool]
    approved_by_platform: Mapped[bool]
    recorded_at: Mapped[dt.datetime]


class WebhookDelivery(Base):
    """A GitHub delivery id seen once; repeats only raise ``duplicates``.

    A delivery that asks for work holds it (``work_kind``, ``work``) from the transaction that
    stores it: it stays ``received`` until a worker has done it, so none is lost in a crash. A
    worker claims it (``claimed_by``, ``claimed_at``, renewed while it works); a claim older than
    the lease is taken over (its worker died)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_pending", "outcome", "work_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(255), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    work_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    work: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AdoptionDay(Base):
    """How many valid application manifests of a type and system the branch held at a day's end."""

    __tablename__ = "adoption_history"
    __table_args__ = (UniqueConstraint("day", "type", "system"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(255))
    count: Mapped[int]


class StateEntry(Base):
    """Small remembered state, such as the last commit the history walk reached."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime]


class WebhookRejection(Base):
    """Deliveries refused for their signature, counted by event (their ids cannot be trusted,
    so they are not stored as deliveries)."""

    __tablename__ = "webhook_rejections"

    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
