"""webhooks: partner subscriptions, the delivery log, the dispatcher's cursor

Revision ID: 0010_webhooks
Revises: 0009_import_progress
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "0010_webhooks"
down_revision: str | None = "0009_import_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("subscription_id", UUID(as_uuid=True), nullable=False),
        sa.Column("subscriber", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", ARRAY(sa.String(100)), nullable=False),
        sa.Column("secret_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_webhook_subscription")),
        schema=SCHEMA,
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("delivery_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("subscription_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.String(100)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            [f"{SCHEMA}.webhook_subscription.subscription_id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_webhook_delivery")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_webhook_delivery_subscription", "webhook_delivery", ["subscription_id"], schema=SCHEMA
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_cursor")),
        schema=SCHEMA,
    )
    # webhooks start with the events written from now on
    op.execute(
        "INSERT INTO kpis.webhook_cursor (name, seq) "
        "SELECT 'dispatch', coalesce(max(seq), 0) FROM kpis.outbox"
    )


def downgrade() -> None:
    op.drop_table("webhook_cursor", schema=SCHEMA)
    op.drop_table("webhook_delivery", schema=SCHEMA)
    op.drop_table("webhook_subscription", schema=SCHEMA)
