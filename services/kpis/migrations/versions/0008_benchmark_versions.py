"""benchmarks: versioned (a new figure for a comparator and period never overwrites the old)

Revision ID: 0008_benchmark_versions
Revises: 0007_ssda903_measures
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_benchmark_versions"
down_revision: str | None = "0007_ssda903_measures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"
OLD = "uq_benchmark_indicator_code_comparator_period_label"
NEW = "uq_benchmark_indicator_code_comparator_period_label_version"


def upgrade() -> None:
    op.add_column(
        "benchmark",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "benchmark",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.add_column(
        "benchmark", sa.Column("created_by", sa.String(200), nullable=True), schema=SCHEMA
    )
    op.drop_constraint(OLD, "benchmark", schema=SCHEMA, type_="unique")
    op.create_unique_constraint(
        NEW,
        "benchmark",
        ["indicator_code", "comparator", "period_label", "version"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    # keep the latest version of each figure (the one reads used) before the old key returns
    op.execute(
        "DELETE FROM kpis.benchmark b USING kpis.benchmark n "
        "WHERE n.indicator_code = b.indicator_code AND n.comparator = b.comparator "
        "AND n.period_label = b.period_label AND n.version > b.version"
    )
    op.drop_constraint(NEW, "benchmark", schema=SCHEMA, type_="unique")
    op.create_unique_constraint(
        OLD, "benchmark", ["indicator_code", "comparator", "period_label"], schema=SCHEMA
    )
    op.drop_column("benchmark", "created_by", schema=SCHEMA)
    op.drop_column("benchmark", "created_at", schema=SCHEMA)
    op.drop_column("benchmark", "version", schema=SCHEMA)
