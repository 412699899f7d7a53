"""initial tables

Audit entries, pull-request records, webhook deliveries, adoption history, remembered state.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The models' UTCDateTime is stored as this type; migrations do not import the models.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("pull_request_url", sa.String(length=2048), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('succeeded', 'failed', 'rejected')", name=op.f("ck_audit_entries_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_action_outcome"), "audit_entries", ["action", "outcome"])
    op.create_index(op.f("ix_audit_entries_actor"), "audit_entries", ["actor"])
    op.create_index(op.f("ix_audit_entries_created_at_id"), "audit_entries", ["created_at", "id"])

    op.create_table(
        "pull_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("merged_at", UTC_DATETIME, nullable=False),
        sa.Column("merge_commit_sha", sa.String(length=64), nullable=True),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("autonomous", sa.Boolean(), nullable=False),
        sa.Column("approved_by_platform", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_requests")),
        sa.UniqueConstraint(
            "repository", "number", name=op.f("uq_pull_requests_repository_number")
        ),
    )
    op.create_index(op.f("ix_pull_requests_author"), "pull_requests", ["author"])
    op.create_index(op.f("ix_pull_requests_merged_at_id"), "pull_requests", ["merged_at", "id"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_webhook_deliveries_delivery_id")),
    )

    op.create_table(
        "adoption_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_history")),
        sa.UniqueConstraint(
            "day", "type", "system", name=op.f("uq_adoption_history_day_type_system")
        ),
    )

    op.create_table(
        "service_state",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_service_state")),
    )


def downgrade() -> None:
    for table in (
        "service_state",
        "adoption_history",
        "webhook_deliveries",
        "pull_requests",
        "audit_entries",
    ):
        op.drop_table(table)
