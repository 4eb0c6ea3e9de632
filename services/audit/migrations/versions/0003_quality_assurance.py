"""quality assurance: tools, programmes, case audits with sections, findings, idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"


def _id(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), sa.Identity(always=True), nullable=False)


def _created() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _version() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("version", sa.Integer(), server_default="1", nullable=False)


def upgrade() -> None:
    op.create_table(
        "audit_tool",
        _id("tool_id"),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("sections", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("tool_id", name="pk_audit_tool"),
        sa.UniqueConstraint("code", "version", name="uq_audit_tool_code_version"),
        schema=SCHEMA,
    )
    op.create_table(
        "audit_programme",
        _id("programme_id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("tool_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(2000), nullable=False),
        sa.Column("sampling_rule", sa.String(1000), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("lead_agency", sa.String(40), nullable=False),
        sa.Column("participating_agencies", postgresql.ARRAY(sa.String(40)), nullable=False),
        sa.Column("linked_actions", postgresql.ARRAY(sa.String(10)), nullable=False),
        _created(),
        _version(),
        sa.PrimaryKeyConstraint("programme_id", name="pk_audit_programme"),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            [f"{SCHEMA}.audit_tool.tool_id"],
            name="fk_audit_programme_tool_id_audit_tool",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "case_audit",
        _id("audit_id"),
        sa.Column("programme_id", sa.BigInteger(), nullable=False),
        sa.Column("tool_id", sa.BigInteger(), nullable=False),
        sa.Column("case_ref", sa.String(40), nullable=False),
        sa.Column("team_code", sa.String(40), nullable=False),
        sa.Column("worker_code", sa.String(40), nullable=True),
        sa.Column("auditor_subject", sa.String(120), nullable=False),
        sa.Column("lead_agency", sa.String(40), nullable=False),
        sa.Column("agencies", postgresql.ARRAY(sa.String(40)), nullable=False),
        sa.Column("is_multi_agency", sa.Boolean(), nullable=False),
        sa.Column("audit_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("grade", sa.String(30), nullable=True),
        sa.Column("moderated_grade", sa.String(30), nullable=True),
        sa.Column("moderation_reason", sa.String(2000), nullable=True),
        sa.Column("moderator_subject", sa.String(120), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joint_conclusion", sa.String(4000), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        _version(),
        sa.PrimaryKeyConstraint("audit_id", name="pk_case_audit"),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            [f"{SCHEMA}.audit_programme.programme_id"],
            name="fk_case_audit_programme_id_audit_programme",
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], [f"{SCHEMA}.audit_tool.tool_id"], name="fk_case_audit_tool_id_audit_tool"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_case_audit_programme_id", "case_audit", ["programme_id"], schema=SCHEMA)
    op.create_table(
        "audit_section",
        _id("section_id"),
        sa.Column("audit_id", sa.BigInteger(), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("answers", postgresql.JSONB(), nullable=False),
        sa.Column("grade", sa.String(30), nullable=True),
        sa.Column("completed_by", sa.String(120), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("section_id", name="pk_audit_section"),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            [f"{SCHEMA}.case_audit.audit_id"],
            name="fk_audit_section_audit_id_case_audit",
        ),
        sa.UniqueConstraint("audit_id", "agency", name="uq_audit_section_audit_id_agency"),
        schema=SCHEMA,
    )
    op.create_table(
        "finding",
        _id("finding_id"),
        sa.Column("audit_id", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("description", sa.String(4000), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("action", sa.String(4000), nullable=True),
        sa.Column("plan_action_ref", sa.String(10), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("recheck_due_date", sa.Date(), nullable=True),
        sa.Column("recheck_outcome", sa.String(20), nullable=True),
        sa.Column("recheck_notes", sa.String(4000), nullable=True),
        sa.Column("rechecked_on", sa.Date(), nullable=True),
        sa.Column("rechecked_by", sa.String(120), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        _version(),
        sa.PrimaryKeyConstraint("finding_id", name="pk_finding"),
        sa.ForeignKeyConstraint(
            ["audit_id"], [f"{SCHEMA}.case_audit.audit_id"], name="fk_finding_audit_id_case_audit"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_finding_audit_id", "finding", ["audit_id"], schema=SCHEMA)
    op.create_table(
        "idempotency_key",
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        _created(),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_key"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("idempotency_key", schema=SCHEMA)
    op.drop_index("ix_finding_audit_id", table_name="finding", schema=SCHEMA)
    op.drop_table("finding", schema=SCHEMA)
    op.drop_table("audit_section", schema=SCHEMA)
    op.drop_index("ix_case_audit_programme_id", table_name="case_audit", schema=SCHEMA)
    op.drop_table("case_audit", schema=SCHEMA)
    op.drop_table("audit_programme", schema=SCHEMA)
    op.drop_table("audit_tool", schema=SCHEMA)
