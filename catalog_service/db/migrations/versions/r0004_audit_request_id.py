"""audit request id

The id of the HTTP request that ran an action (X-Request-Id, or the one the service made), so an
audit entry leads to the request's log lines. Nullable: older entries and entries written outside
a request have none.

Revision ID: 0004_audit_request_id
Revises: 0003_delivery_work
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_audit_request_id"
down_revision: str | None = "0003_delivery_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("request_id")
