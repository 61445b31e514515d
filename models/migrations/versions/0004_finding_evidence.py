"""findings point at their proof in the run's WARC evidence archive

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(
            sa.Column(
                "evidence_file",
                sa.String(255),
                nullable=True,
                comment="WARC file of the proof, relative to GOVHEALTH_EVIDENCE_DIR",
            )
        )
        batch.add_column(
            sa.Column(
                "evidence_record",
                sa.String(64),
                nullable=True,
                comment="WARC-Record-ID of the record that proves the verdict",
            )
        )
        batch.add_column(
            sa.Column(
                "evidence_digest",
                sa.String(80),
                nullable=True,
                comment="sha256:<hex> of that record's payload (its WARC-Payload-Digest)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("evidence_digest")
        batch.drop_column("evidence_record")
        batch.drop_column("evidence_file")
