"""trail: append-only hash-chained events and signed checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"
TABLES = ("trail_event", "trail_checkpoint")
ROLE = "audit_svc"


def upgrade() -> None:
    op.create_table(
        "trail_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.String(120), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", postgresql.JSONB(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(500), nullable=True),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_trail_event"),
        sa.UniqueConstraint("event_id", name="uq_trail_event_event_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_trail_event_entity", "trail_event", ["entity_type", "entity_id"], schema=SCHEMA
    )
    op.create_index(
        "ix_trail_event_actor", "trail_event", ["actor"], schema=SCHEMA, postgresql_using="gin"
    )
    op.create_index("ix_trail_event_occurred_at", "trail_event", ["occurred_at"], schema=SCHEMA)
    op.create_index("ix_trail_event_request_id", "trail_event", ["request_id"], schema=SCHEMA)
    op.create_table(
        "trail_checkpoint",
        sa.Column("checkpoint_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_id", name="pk_trail_checkpoint"),
        schema=SCHEMA,
    )
    op.create_index("ix_trail_checkpoint_seq", "trail_checkpoint", ["seq"], schema=SCHEMA)
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.trail_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only: % on % refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.trail_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {SCHEMA}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.trail_refuse_change()"
        )
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {SCHEMA}.{table} FROM {ROLE}")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {SCHEMA}.{table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.trail_refuse_change()")
    op.drop_index("ix_trail_checkpoint_seq", table_name="trail_checkpoint", schema=SCHEMA)
    op.drop_table("trail_checkpoint", schema=SCHEMA)
    op.drop_index("ix_trail_event_request_id", table_name="trail_event", schema=SCHEMA)
    op.drop_index("ix_trail_event_occurred_at", table_name="trail_event", schema=SCHEMA)
    op.drop_index("ix_trail_event_actor", table_name="trail_event", schema=SCHEMA)
    op.drop_index("ix_trail_event_entity", table_name="trail_event", schema=SCHEMA)
    op.drop_table("trail_event", schema=SCHEMA)
