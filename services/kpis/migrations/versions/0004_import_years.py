"""imports: the collection year of each SSDA903 row (several years in one upload)

Revision ID: 0004_import_years
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_import_years"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"
TABLES = ("cm_cla_episode", "cm_care_leaver")


def upgrade() -> None:
    # nullable, no default: adding it rewrites nothing (Annex A rows leave it empty)
    for table in TABLES:
        op.add_column(
            table, sa.Column("collection_year", sa.Integer(), nullable=True), schema=SCHEMA
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "collection_year", schema=SCHEMA)
