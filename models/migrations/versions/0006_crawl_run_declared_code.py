"""crawl runs keep the site code the homepage declares

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(
            sa.Column(
                "declared_code",
                sa.String(length=10),
                nullable=True,
                comment="网站标识码 the homepage declares in <meta name=SiteIDCode>, if any",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("declared_code")
