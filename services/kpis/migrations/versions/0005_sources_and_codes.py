"""sources: each figure keeps its source, the authoritative source per indicator, the
figures of every source side by side; a legal status not in that year's list is "not known"

Revision ID: 0005_sources
Revises: 0004_import_years
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sources"
down_revision: str | None = "0004_import_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"

#: the catalogue's authoritative sources (services/kpis/catalogue.py), for databases
#: seeded before the column existed (seeding leaves existing indicators alone)
SSDA903 = ("CIC", "CIC_RATE", "CIC_INCL_SHORT_BREAKS", "CL_IN_TOUCH", "CL_ACCOMMODATION", "CL_EET")
ANNEX_A = (
    "CONTACTS",
    "REFERRALS",
    "REFERRAL_RATE",
    "RE_REFERRALS",
    "REFERRALS_NFA",
    "ASSESSMENTS",
    "ASSESS_45WD",
    "S47_ENQUIRIES",
    "ICPCS",
    "ICPC_15WD",
    "CP_PLANS_STARTED",
    "CP_SECOND",
    "CIN",
)


def upgrade() -> None:
    op.alter_column(
        "cm_cla_episode", "legal_status", existing_type=sa.String(2), nullable=True, schema=SCHEMA
    )
    op.add_column(
        "indicator", sa.Column("authoritative_source", sa.String(40), nullable=True), schema=SCHEMA
    )
    op.add_column(
        "indicator_value", sa.Column("source_kind", sa.String(40), nullable=True), schema=SCHEMA
    )
    for source, codes in (("ssda903", SSDA903), ("annex_a", ANNEX_A)):
        op.execute(
            sa.text(
                "UPDATE kpis.indicator SET authoritative_source = :source "
                "WHERE code = ANY(:codes) AND authoritative_source IS NULL"
            ).bindparams(source=source, codes=list(codes))
        )
    op.execute(
        sa.text(
            "UPDATE kpis.indicator SET authoritative_source = 'submission' "
            "WHERE authoritative_source IS NULL"
        )
    )
    op.execute(
        sa.text(
            "UPDATE kpis.indicator_value SET source_kind = 'submission' "
            "WHERE submission_id IS NOT NULL"
        )
    )
    op.create_table(
        "source_figure",
        sa.Column("figure_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("import_id", sa.String(length=100), nullable=True),
        sa.Column("submission_id", sa.UUID(), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("made_current", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["kpis.indicator.indicator_id"],
            name=op.f("fk_source_figure_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["kpis.org_unit.org_unit_id"],
            name=op.f("fk_source_figure_org_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("figure_id", name=op.f("pk_source_figure")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_source_figure_key",
        "source_figure",
        ["indicator_id", "period_type", "period_start", "period_end", "org_unit_id"],
        unique=False,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_source_figure_key", table_name="source_figure", schema=SCHEMA)
    op.drop_table("source_figure", schema=SCHEMA)
    op.drop_column("indicator_value", "source_kind", schema=SCHEMA)
    op.drop_column("indicator", "authoritative_source", schema=SCHEMA)
    # fails while episodes with a legal status "not known" exist: nothing is dropped
    op.alter_column(
        "cm_cla_episode", "legal_status", existing_type=sa.String(2), nullable=False, schema=SCHEMA
    )
