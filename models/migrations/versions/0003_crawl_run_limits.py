"""crawl runs name every limit that fired

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(
            sa.Column(
                "limits",
                sa.JSON(),
                nullable=True,
                comment="every limit that fired (budgets, page cuts, capped Crawl-delay), in order",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("limits")
