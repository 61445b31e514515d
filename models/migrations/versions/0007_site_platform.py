"""sites gain a platform: a name shared by sites hosted on one server or CDN (the per-server limit)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "platform",
                sa.String(length=100),
                nullable=True,
                comment="a name shared by sites hosted on one server or CDN (集约化平台): one per-server limit",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("platform")
