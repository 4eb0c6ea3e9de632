"""board: packs (the pinned document, its digest, signed manifest)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "board"


def upgrade() -> None:
    op.create_table(
        "pack",
        sa.Column("pack_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_meeting_id", sa.BigInteger(), nullable=True),
        sa.Column("agencies", postgresql.JSONB(), nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("manifest", postgresql.JSONB(), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("pack_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_pack_meeting", "pack", ["meeting_id", "created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_pack_meeting", table_name="pack", schema=SCHEMA)
    op.drop_table("pack", schema=SCHEMA)
