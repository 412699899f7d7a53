"""webhook delivery work

A delivery's pending work is stored with it, in the same transaction, and claimed by a worker:
a delivery is done only once its work is (issue 13, "Lost merged pull requests").

Revision ID: 0003_delivery_work
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_delivery_work"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The models' UTCDateTime is stored as this type; migrations do not import the models.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as table:
        table.add_column(sa.Column("work_kind", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("work", sa.JSON(), nullable=True))
        table.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("claimed_at", UTC_DATETIME, nullable=True))
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        table.create_index("ix_webhook_deliveries_pending", ["outcome", "work_kind"])


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as table:
        table.drop_index("ix_webhook_deliveries_pending")
        for column in ("attempts", "claimed_at", "claimed_by", "work", "work_kind"):
            table.drop_column(column)
