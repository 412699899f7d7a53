"""webhook rejections

Deliveries refused for their signature, counted by event, so the count survives a restart.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_rejections",
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event", name=op.f("pk_webhook_rejections")),
    )


def downgrade() -> None:
    op.drop_table("webhook_rejections")
