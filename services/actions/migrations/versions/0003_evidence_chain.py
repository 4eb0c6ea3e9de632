"""the evidence chain: criterion → indicator links; recommendation sets (ofsted, lscb), versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "criterion_indicator",
        sa.Column("link_id", sa.Integer(), sa.Identity(always=True), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("by_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "direction IN ('up', 'down')", name=op.f("ck_criterion_indicator_direction")
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["actions.success_criterion.criterion_id"],
            name=op.f("fk_criterion_indicator_criterion_id_success_criterion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_criterion_indicator")),
        sa.UniqueConstraint(
            "criterion_id",
            "indicator_code",
            name=op.f("uq_criterion_indicator_criterion_id_indicator_code"),
        ),
        schema="actions",
    )
    op.create_index(
        op.f("ix_actions_criterion_indicator_criterion_id"),
        "criterion_indicator",
        ["criterion_id"],
        unique=False,
        schema="actions",
    )
    op.add_column(
        "recommendation",
        sa.Column("source", sa.String(length=10), server_default="ofsted", nullable=False),
        schema="actions",
    )
    op.add_column(
        "recommendation",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        schema="actions",
    )
    op.create_check_constraint(
        op.f("ck_recommendation_source"),
        "recommendation",
        "source IN ('ofsted', 'lscb')",
        schema="actions",
    )
    op.drop_constraint(
        op.f("uq_recommendation_plan_id_number"), "recommendation", schema="actions", type_="unique"
    )
    op.create_unique_constraint(
        op.f("uq_recommendation_plan_id_source_number"),
        "recommendation",
        ["plan_id", "source", "number"],
        schema="actions",
    )


def downgrade() -> None:
    # the LSCB set has no place in the old shape (one number per plan): it goes with it
    op.execute("DELETE FROM actions.recommendation WHERE source <> 'ofsted'")
    op.drop_constraint(
        op.f("uq_recommendation_plan_id_source_number"),
        "recommendation",
        schema="actions",
        type_="unique",
    )
    op.create_unique_constraint(
        op.f("uq_recommendation_plan_id_number"),
        "recommendation",
        ["plan_id", "number"],
        schema="actions",
    )
    op.execute("ALTER TABLE actions.recommendation DROP CONSTRAINT ck_recommendation_source")
    op.drop_column("recommendation", "version", schema="actions")
    op.drop_column("recommendation", "source", schema="actions")
    op.drop_index(
        op.f("ix_actions_criterion_indicator_criterion_id"),
        table_name="criterion_indicator",
        schema="actions",
    )
    op.drop_table("criterion_indicator", schema="actions")
