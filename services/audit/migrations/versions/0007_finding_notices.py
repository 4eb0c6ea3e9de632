"""findings may name their owner's e-mail; the delivery log of overdue-finding notices

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"


def upgrade() -> None:
    op.add_column("finding", sa.Column("owner_email", sa.String(254)), schema=SCHEMA)
    op.create_table(
        "notification_delivery",
        sa.Column("delivery_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("recipient_kind", sa.String(20), nullable=False),
        sa.Column("recipient_id", sa.String(254), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("finding_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.String(100)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_notification_delivery")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_notification_delivery_reference",
        "notification_delivery",
        ["reference"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("notification_delivery", schema=SCHEMA)
    op.drop_column("finding", "owner_email", schema=SCHEMA)
