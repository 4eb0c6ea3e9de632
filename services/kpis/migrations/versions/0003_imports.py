"""imports: jobs, the child-level store (pseudonymised) and the values each import computed

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

SCHEMA = "kpis"

CHILD_TABLES: dict[str, list[tuple[str, sa.types.TypeEngine[object], bool]]] = {
    "cm_contact": [
        ("contact_date", sa.Date(), False),
        ("source", sa.String(4), True),
    ],
    "cm_referral": [
        ("referral_date", sa.Date(), False),
        ("source", sa.String(4), True),
        ("nfa", sa.Boolean(), True),
        ("rereferral", sa.Boolean(), False),
    ],
    "cm_assessment": [
        ("start_date", sa.Date(), False),
        ("authorised_date", sa.Date(), True),
        ("working_days", sa.Integer(), True),
    ],
    "cm_s47": [
        ("s47_date", sa.Date(), False),
        ("icpc_date", sa.Date(), True),
        ("icpc_unnecessary", sa.Boolean(), True),
        ("transfer_in", sa.Boolean(), False),
        ("working_days", sa.Integer(), True),
    ],
    "cm_cin_episode": [
        ("start_date", sa.Date(), False),
        ("end_date", sa.Date(), True),
    ],
    "cm_cp_plan": [
        ("start_date", sa.Date(), False),
        ("end_date", sa.Date(), True),
        ("category", sa.String(20), True),
        ("previous_plans", sa.Integer(), True),
    ],
    "cm_cla_episode": [
        ("start_date", sa.Date(), False),
        ("end_date", sa.Date(), True),
        ("legal_status", sa.String(2), False),
    ],
    "cm_care_leaver": [
        ("in_touch", sa.String(4), True),
        ("accommodation", sa.String(4), True),
        ("suitable", sa.Boolean(), True),
        ("activity", sa.String(2), True),
    ],
}


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("partial", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("collection_year", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rows_stored", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("warning_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("values_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "report", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_job"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_import_job_applied_sha256",
        "import_job",
        ["file_sha256"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'succeeded'"),
    )
    for table, columns in CHILD_TABLES.items():
        op.create_table(
            table,
            sa.Column("import_id", postgresql.UUID(as_uuid=True), nullable=False),
            sa.Column("child", sa.String(32), nullable=False),
            *(sa.Column(name, type_, nullable=nullable) for name, type_, nullable in columns),
            sa.Column("team", sa.String(60), nullable=True),
            sa.Column("worker", sa.String(14), nullable=True),
            schema=SCHEMA,
        )
        op.create_index(
            f"ix_{table}_import_id", table, ["import_id"], schema=SCHEMA, postgresql_using="brin"
        )
    op.create_table(
        "import_value",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("import_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("indicator_code", sa.String(60), nullable=False),
        sa.Column("period_type", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("org_unit_code", sa.String(60), nullable=False),
        sa.Column("value", sa.Numeric(14, 4), nullable=True),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_value"),
        sa.ForeignKeyConstraint(
            ["import_id"],
            [f"{SCHEMA}.import_job.id"],
            name="fk_import_value_import_id_import_job",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "import_id",
            "indicator_code",
            "period_type",
            "period_start",
            "period_end",
            "org_unit_code",
            name="uq_import_value_slot",
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("import_value", schema=SCHEMA)
    for table in reversed(list(CHILD_TABLES)):
        op.drop_index(f"ix_{table}_import_id", table_name=table, schema=SCHEMA)
        op.drop_table(table, schema=SCHEMA)
    op.drop_index("ix_import_job_applied_sha256", table_name="import_job", schema=SCHEMA)
    op.drop_table("import_job", schema=SCHEMA)
