"""board: outbox, idempotency keys, meeting types (four seeded), meetings and their minutes

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "board"

#: the four meeting types of issue 16; administrators add more through the API
SEEDED_TYPES = (
    ("improvement-board", "Improvement Board"),
    ("performance-clinic", "Performance clinic"),
    ("scrutiny-committee", "Scrutiny committee"),
    ("corporate-parenting-board", "Corporate parenting board"),
)


def _created() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _meeting_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("meeting_id", sa.BigInteger(), nullable=False)


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.String(120), nullable=False),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "actor", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(500), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def _idempotency() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _created(),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_key"),
        schema=SCHEMA,
    )


def _part(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        _meeting_fk(),
        sa.Column("position", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            [f"{SCHEMA}.meeting.meeting_id"],
            name=f"fk_{name}_meeting_id_meeting",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "position", name=f"pk_{name}"),
        schema=SCHEMA,
    )


def upgrade() -> None:
    _outbox()
    _idempotency()
    meeting_type = op.create_table(
        "meeting_type",
        sa.Column("meeting_type_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("meeting_type_id", name="pk_meeting_type"),
        sa.UniqueConstraint("code", name="uq_meeting_type_code"),
        schema=SCHEMA,
    )
    op.bulk_insert(
        meeting_type,
        [{"code": code, "name": name, "created_by": "migration"} for code, name in SEEDED_TYPES],
    )
    op.create_table(
        "meeting",
        sa.Column("meeting_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("meeting_type_id", sa.BigInteger(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("notes", sa.String(8000), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        _created(),
        sa.Column("updated_by", sa.String(120), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_type_id"],
            [f"{SCHEMA}.meeting_type.meeting_type_id"],
            name="fk_meeting_meeting_type_id_meeting_type",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_meeting_type_date", "meeting", ["meeting_type_id", "meeting_date"], schema=SCHEMA
    )
    _part(
        "attendee",
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("person_role", sa.String(200), nullable=False),
    )
    _part(
        "agenda_item",
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("presenter", sa.String(200), nullable=True),
        sa.Column("notes", sa.String(4000), nullable=True),
    )
    _part(
        "decision",
        sa.Column("decision", sa.String(4000), nullable=False),
        sa.Column("agenda_position", sa.Integer(), nullable=True),
    )
    _part(
        "action_arising",
        sa.Column("description", sa.String(4000), nullable=False),
        sa.Column("plan_action_ref", sa.String(10), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("agency", sa.String(40), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
    )
    op.create_index(
        "ix_action_arising_plan_action_ref", "action_arising", ["plan_action_ref"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_action_arising_plan_action_ref", table_name="action_arising", schema=SCHEMA)
    for name in ("action_arising", "decision", "agenda_item", "attendee"):
        op.drop_table(name, schema=SCHEMA)
    op.drop_index("ix_meeting_type_date", table_name="meeting", schema=SCHEMA)
    op.drop_table("meeting", schema=SCHEMA)
    op.drop_table("meeting_type", schema=SCHEMA)
    op.drop_table("idempotency_key", schema=SCHEMA)
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
