"""indicators, org units, reference data, values with revisions, periods, releases

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
        "benchmark",
        sa.Column("benchmark_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("comparator", sa.String(length=30), nullable=False),
        sa.Column("period_label", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("benchmark_id", name=op.f("pk_benchmark")),
        sa.UniqueConstraint(
            "indicator_code",
            "comparator",
            "period_label",
            name=op.f("uq_benchmark_indicator_code_comparator_period_label"),
        ),
        schema="kpis",
    )
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
        schema="kpis",
    )
    op.create_table(
        "indicator",
        sa.Column("indicator_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("themes", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("polarity", sa.String(length=10), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source_agency", sa.String(length=40), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("numerator_definition", sa.Text(), nullable=True),
        sa.Column("denominator_definition", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "frequency IN ('monthly','quarterly','annual')", name=op.f("ck_indicator_frequency")
        ),
        sa.CheckConstraint("kind IN ('flow','snapshot')", name=op.f("ck_indicator_kind")),
        sa.CheckConstraint("polarity IN ('higher','lower')", name=op.f("ck_indicator_polarity")),
        sa.CheckConstraint(
            "unit IN ('count','percentage','rate_per_10000','mean','days')",
            name=op.f("ck_indicator_unit"),
        ),
        sa.PrimaryKeyConstraint("indicator_id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_indicator_code_version")),
        schema="kpis",
    )
    op.create_index(
        "uq_indicator_current_code",
        "indicator",
        ["code"],
        unique=True,
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "org_unit",
        sa.Column("org_unit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('authority','service','locality','team','worker')",
            name=op.f("ck_org_unit_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["kpis.org_unit.org_unit_id"],
            name=op.f("fk_org_unit_parent_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("org_unit_id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
        schema="kpis",
    )
    op.create_index(
        op.f("ix_kpis_org_unit_parent_id"), "org_unit", ["parent_id"], unique=False, schema="kpis"
    )
    op.create_table(
        "population",
        sa.Column("population_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_code", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("children_0_17", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("population_id", name=op.f("pk_population")),
        sa.UniqueConstraint("area_code", "year", name=op.f("uq_population_area_code_year")),
        schema="kpis",
    )
    op.create_table(
        "submission",
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("is_dry_run", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission")),
        schema="kpis",
    )
    op.create_table(
        "target",
        sa.Column("target_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amber_tolerance", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.PrimaryKeyConstraint("target_id", name=op.f("pk_target")),
        sa.UniqueConstraint(
            "indicator_code", "financial_year", name=op.f("uq_target_indicator_code_financial_year")
        ),
        schema="kpis",
    )
    op.create_table(
        "indicator_value",
        sa.Column("value_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("source_agency", sa.String(length=40), nullable=False),
        sa.Column("import_id", sa.String(length=100), nullable=True),
        sa.Column("submission_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft','submitted','approved','reopened')",
            name=op.f("ck_indicator_value_state"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["kpis.indicator.indicator_id"],
            name=op.f("fk_indicator_value_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["kpis.org_unit.org_unit_id"],
            name=op.f("fk_indicator_value_org_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("value_id", name=op.f("pk_indicator_value")),
        schema="kpis",
    )
    op.create_index(
        "ix_indicator_value_unit_period",
        "indicator_value",
        ["org_unit_id", "period_start"],
        unique=False,
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "uq_indicator_value_current",
        "indicator_value",
        ["indicator_id", "period_start", "period_end", "period_type", "org_unit_id"],
        unique=True,
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "uq_indicator_value_revision",
        "indicator_value",
        ["indicator_id", "org_unit_id", "period_type", "period_start", "period_end", "revision"],
        unique=True,
        schema="kpis",
    )
    op.create_table(
        "release",
        sa.Column("release_id", sa.UUID(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value_count", sa.Integer(), nullable=False),
        sa.Column("manifest", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
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
            name=op.f("fk_release_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_release")),
        schema="kpis",
    )
    op.create_index(
        op.f("ix_kpis_release_indicator_id"),
        "release",
        ["indicator_id"],
        unique=False,
        schema="kpis",
    )
    op.create_table(
        "value_period",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_reason", sa.String(length=1000), nullable=True),
        sa.Column("release_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft','submitted','approved','reopened')",
            name=op.f("ck_value_period_state"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["kpis.indicator.indicator_id"],
            name=op.f("fk_value_period_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint(
            "indicator_id",
            "period_type",
            "period_start",
            "period_end",
            name=op.f("pk_value_period"),
        ),
        schema="kpis",
    )
    op.create_table(
        "value_transition",
        sa.Column("transition_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["kpis.indicator.indicator_id"],
            name=op.f("fk_value_transition_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("transition_id", name=op.f("pk_value_transition")),
        schema="kpis",
    )
    op.create_index(
        "ix_value_transition_period",
        "value_transition",
        ["indicator_id", "period_start", "period_type"],
        unique=False,
        schema="kpis",
    )


def downgrade() -> None:
    op.drop_index("ix_value_transition_period", table_name="value_transition", schema="kpis")
    op.drop_table("value_transition", schema="kpis")
    op.drop_table("value_period", schema="kpis")
    op.drop_index(op.f("ix_kpis_release_indicator_id"), table_name="release", schema="kpis")
    op.drop_table("release", schema="kpis")
    op.drop_index("uq_indicator_value_revision", table_name="indicator_value", schema="kpis")
    op.drop_index(
        "uq_indicator_value_current",
        table_name="indicator_value",
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.drop_index(
        "ix_indicator_value_unit_period",
        table_name="indicator_value",
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.drop_table("indicator_value", schema="kpis")
    op.drop_table("target", schema="kpis")
    op.drop_table("submission", schema="kpis")
    op.drop_table("population", schema="kpis")
    op.drop_index(op.f("ix_kpis_org_unit_parent_id"), table_name="org_unit", schema="kpis")
    op.drop_table("org_unit", schema="kpis")
    op.drop_index(
        "uq_indicator_current_code",
        table_name="indicator",
        schema="kpis",
        postgresql_where=sa.text("is_current"),
    )
    op.drop_table("indicator", schema="kpis")
    op.drop_table("idempotency_key", schema="kpis")
    op.drop_table("benchmark", schema="kpis")
