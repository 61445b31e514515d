"""notifications sent to site contacts and the supervising office; sites gain contact URLs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 11:23:57
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "subject",
            sa.String(length=64),
            nullable=False,
            comment="what the message is about: run:<run id> (a site) or digest:<sha1 of the runs>",
        ),
        sa.Column(
            "channel",
            sa.String(length=40),
            nullable=False,
            comment="sha1 of the notification URL (never stored twice)",
        ),
        sa.Column(
            "target",
            sa.String(length=300),
            nullable=False,
            comment="the notification URL with its secrets masked",
        ),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, comment="sent or failed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True, comment="why the last attempt failed"),
        sa.Column(
            "at", models.base.UTCDateTime(timezone=True), nullable=False, comment="time of the last attempt"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_notifications_run_id_crawl_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_notifications_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("subject", "channel", name=op.f("uq_notifications_subject")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_site_id"), ["site_id"], unique=False)

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "contact",
                sa.JSON(),
                nullable=True,
                comment="notification URLs (Apprise syntax) of the site's operators; they hold secrets",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("contact")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_site_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_run_id"))

    op.drop_table("notifications")
