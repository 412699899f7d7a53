"""audit entries: the application each call concerns

An indexed column, so that one application's latest calls (the Backstage card) are an index
walk, not a scan of every entry's JSON inputs; filled in for the entries already there.

Revision ID: 0005_audit_application
Revises: 0004_audit_request_id
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from catalog_service.db.audit_application import application_of

revision: str = "0005_audit_application"
down_revision: str | None = "0004_audit_request_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("application", sa.String(length=255), nullable=True))
    op.create_index(
        op.f("ix_audit_entries_application_created_at_id"),
        "audit_entries",
        ["application", "created_at", "id"],
    )
    entries = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("inputs", sa.JSON()),
        sa.column("application", sa.String()),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(entries.c.id, entries.c.action, entries.c.inputs)
            .where(entries.c.id > last)
            .order_by(entries.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        updates = [
            {"row_id": row.id, "value": application_of(row.action, row.inputs)}
            for row in rows
            if application_of(row.action, row.inputs) is not None
        ]
        if updates:
            connection.execute(
                entries.update()
                .where(entries.c.id == sa.bindparam("row_id"))
                .values(application=sa.bindparam("value")),
                updates,
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entries_application_created_at_id"), table_name="audit_entries")
    op.drop_column("audit_entries", "application")
