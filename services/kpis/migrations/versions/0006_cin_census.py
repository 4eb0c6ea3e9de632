"""imports: the CIN census (a child's disability on its episodes, assessment factors)

Revision ID: 0006_cin_census
Revises: 0005_sources
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0006_cin_census"
down_revision: str | None = "0005_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"


def upgrade() -> None:
    # nullable, no default: adding it rewrites nothing (Annex A rows leave it empty)
    op.add_column(
        "cm_cin_episode", sa.Column("disabled", sa.Boolean(), nullable=True), schema=SCHEMA
    )
    op.create_table(
        "cm_assessment_factor",
        sa.Column("import_id", UUID(as_uuid=True), nullable=False),
        sa.Column("child", sa.String(32), nullable=False),
        sa.Column("authorised_date", sa.Date(), nullable=False),
        sa.Column("factor", sa.String(4), nullable=False),
        sa.Column("team", sa.String(60), nullable=True),
        sa.Column("worker", sa.String(14), nullable=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cm_assessment_factor_import_id",
        "cm_assessment_factor",
        ["import_id"],
        schema=SCHEMA,
        postgresql_using="brin",
    )


def downgrade() -> None:
    op.drop_index("ix_cm_assessment_factor_import_id", "cm_assessment_factor", schema=SCHEMA)
    op.drop_table("cm_assessment_factor", schema=SCHEMA)
    op.drop_column("cm_cin_episode", "disabled", schema=SCHEMA)
