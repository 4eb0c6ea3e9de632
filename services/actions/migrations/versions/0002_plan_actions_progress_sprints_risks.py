"""the plan: plans, themes, criteria, owners, actions, steps, updates, sprints, risks

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


def upgrade() -> None:
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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_key")),
        schema="actions",
    )
    op.create_table(
        "owner",
        sa.Column("owner_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("user_subject", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_owner")),
        sa.UniqueConstraint("title", name=op.f("uq_owner_title")),
        schema="actions",
    )
    op.create_table(
        "plan",
        sa.Column("plan_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_plan_dates")),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plan")),
        sa.UniqueConstraint("title", "authority", name=op.f("uq_plan_title_authority")),
        schema="actions",
    )
    op.create_table(
        "recommendation",
        sa.Column("recommendation_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("progress_to_date", sa.Text(), server_default="", nullable=False),
        sa.Column("further_work", sa.Text(), server_default="", nullable=False),
        sa.Column("source_fix", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_recommendation_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_recommendation_plan_id_number")),
        schema="actions",
    )
    op.create_table(
        "reminder",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("reminder_date", sa.Date(), nullable=False),
        sa.Column("action_refs", postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["actions.owner.owner_id"],
            name=op.f("fk_reminder_owner_id_owner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner_id", "reminder_date", name=op.f("pk_reminder")),
        schema="actions",
    )
    op.create_table(
        "risk",
        sa.Column("risk_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("risk", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), server_default="", nullable=False),
        sa.Column("consequence", sa.Text(), server_default="", nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("likelihood_before", sa.SmallInteger(), nullable=False),
        sa.Column("impact_before", sa.SmallInteger(), nullable=False),
        sa.Column("likelihood_after", sa.SmallInteger(), nullable=False),
        sa.Column("impact_after", sa.SmallInteger(), nullable=False),
        sa.Column(
            "mitigating_action_refs",
            postgresql.ARRAY(sa.String(length=8)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "likelihood_before BETWEEN 1 AND 5 AND impact_before BETWEEN 1 AND 5 AND likelihood_after BETWEEN 1 AND 5 AND impact_after BETWEEN 1 AND 5",
            name=op.f("ck_risk_scores"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["actions.owner.owner_id"],
            name=op.f("fk_risk_owner_id_owner"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_risk_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("risk_id", name=op.f("pk_risk")),
        schema="actions",
    )
    op.create_table(
        "sprint",
        sa.Column("sprint_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_sprint_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sprint_id", name=op.f("pk_sprint")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_sprint_plan_id_number")),
        schema="actions",
    )
    op.create_table(
        "theme",
        sa.Column("theme_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source_fix", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_theme_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("theme_id", name=op.f("pk_theme")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_theme_plan_id_number")),
        schema="actions",
    )
    op.create_table(
        "success_criterion",
        sa.Column("criterion_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("source_fix", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_success_criterion_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["actions.theme.theme_id"],
            name=op.f("fk_success_criterion_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("criterion_id", name=op.f("pk_success_criterion")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_success_criterion_plan_id_code")),
        schema="actions",
    )
    op.create_table(
        "action",
        sa.Column("action_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("lead_agency", sa.String(length=40), nullable=False),
        sa.Column(
            "contributing_agencies",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_sprint", sa.SmallInteger(), nullable=True),
        sa.Column("due_text", sa.String(length=40), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("sprint_number", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="not_started", nullable=False),
        sa.Column("percent_complete", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("declared_rag", sa.String(length=5), nullable=True),
        sa.Column("has_evidence", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_update_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "indicator_codes",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "audit_finding_refs",
            postgresql.ARRAY(sa.String(length=60)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "source_fixes",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("percent_complete BETWEEN 0 AND 100", name=op.f("ck_action_percent")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["actions.success_criterion.criterion_id"],
            name=op.f("fk_action_criterion_id_success_criterion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["actions.plan.plan_id"],
            name=op.f("fk_action_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["actions.theme.theme_id"],
            name=op.f("fk_action_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_action")),
        sa.UniqueConstraint("plan_id", "ref", name=op.f("uq_action_plan_id_ref")),
        schema="actions",
    )
    op.create_index(
        "ix_action_criterion_id", "action", ["criterion_id"], unique=False, schema="actions"
    )
    op.create_index("ix_action_due_on", "action", ["due_on"], unique=False, schema="actions")
    op.create_index(
        "ix_action_plan_id_status", "action", ["plan_id", "status"], unique=False, schema="actions"
    )
    op.create_index("ix_action_theme_id", "action", ["theme_id"], unique=False, schema="actions")
    op.create_table(
        "action_event",
        sa.Column("event_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.action.action_id"],
            name=op.f("fk_action_event_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_action_event")),
        schema="actions",
    )
    op.create_index(
        "ix_action_event_action_id",
        "action_event",
        ["action_id", "occurred_at"],
        unique=False,
        schema="actions",
    )
    op.create_table(
        "action_owner",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.action.action_id"],
            name=op.f("fk_action_owner_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["actions.owner.owner_id"],
            name=op.f("fk_action_owner_owner_id_owner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", "owner_id", name=op.f("pk_action_owner")),
        schema="actions",
    )
    op.create_index(
        op.f("ix_actions_action_owner_owner_id"),
        "action_owner",
        ["owner_id"],
        unique=False,
        schema="actions",
    )
    op.create_table(
        "action_step",
        sa.Column("step_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "agencies",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.action.action_id"],
            name=op.f("fk_action_step_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_action_step")),
        sa.UniqueConstraint("action_id", "number", name=op.f("uq_action_step_action_id_number")),
        schema="actions",
    )
    op.create_table(
        "recommendation_action",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.action.action_id"],
            name=op.f("fk_recommendation_action_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["actions.recommendation.recommendation_id"],
            name=op.f("fk_recommendation_action_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "action_id", name=op.f("pk_recommendation_action")
        ),
        schema="actions",
    )
    op.create_index(
        op.f("ix_actions_recommendation_action_action_id"),
        "recommendation_action",
        ["action_id"],
        unique=False,
        schema="actions",
    )
    op.create_table(
        "progress_update",
        sa.Column("update_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("update_date", sa.Date(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("percent_complete", sa.SmallInteger(), nullable=False),
        sa.Column("declared_rag", sa.String(length=5), nullable=False),
        sa.Column(
            "evidence",
            postgresql.ARRAY(sa.String(length=500)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "percent_complete BETWEEN 0 AND 100", name=op.f("ck_progress_update_percent")
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.action.action_id"],
            name=op.f("fk_progress_update_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["actions.action_step.step_id"],
            name=op.f("fk_progress_update_step_id_action_step"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_progress_update")),
        schema="actions",
    )
    op.create_index(
        "ix_progress_update_action_id",
        "progress_update",
        ["action_id", "created_at"],
        unique=False,
        schema="actions",
    )


def downgrade() -> None:
    op.drop_index("ix_progress_update_action_id", table_name="progress_update", schema="actions")
    op.drop_table("progress_update", schema="actions")
    op.drop_index(
        op.f("ix_actions_recommendation_action_action_id"),
        table_name="recommendation_action",
        schema="actions",
    )
    op.drop_table("recommendation_action", schema="actions")
    op.drop_table("action_step", schema="actions")
    op.drop_index(
        op.f("ix_actions_action_owner_owner_id"), table_name="action_owner", schema="actions"
    )
    op.drop_table("action_owner", schema="actions")
    op.drop_index("ix_action_event_action_id", table_name="action_event", schema="actions")
    op.drop_table("action_event", schema="actions")
    op.drop_index("ix_action_theme_id", table_name="action", schema="actions")
    op.drop_index("ix_action_plan_id_status", table_name="action", schema="actions")
    op.drop_index("ix_action_due_on", table_name="action", schema="actions")
    op.drop_index("ix_action_criterion_id", table_name="action", schema="actions")
    op.drop_table("action", schema="actions")
    op.drop_table("success_criterion", schema="actions")
    op.drop_table("theme", schema="actions")
    op.drop_table("sprint", schema="actions")
    op.drop_table("risk", schema="actions")
    op.drop_table("reminder", schema="actions")
    op.drop_table("recommendation", schema="actions")
    op.drop_table("plan", schema="actions")
    op.drop_table("owner", schema="actions")
    op.drop_table("idempotency_key", schema="actions")
