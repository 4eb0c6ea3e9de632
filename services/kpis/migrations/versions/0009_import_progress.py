"""imports: progress on the job row (stage, rows expected, percent, when it last moved)

Revision ID: 0009_import_progress
Revises: 0007_ssda903_measures
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_import_progress"
down_revision: str | None = "0008_benchmark_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"


def upgrade() -> None:
    op.add_column(
        "import_job",
        sa.Column("stage", sa.String(20), nullable=False, server_default="queued"),
        schema=SCHEMA,
    )
    op.add_column("import_job", sa.Column("rows_expected", sa.BigInteger()), schema=SCHEMA)
    op.add_column("import_job", sa.Column("percent", sa.SmallInteger()), schema=SCHEMA)
    op.add_column(
        "import_job",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=SCHEMA,
    )
    # jobs already ended: their stage is the last one
    op.execute(
        "UPDATE kpis.import_job SET stage = 'finished', percent = 100, "
        "updated_at = coalesce(finished_at, created_at) WHERE finished_at IS NOT NULL"
    )


def downgrade() -> None:
    for column in ("updated_at", "percent", "rows_expected", "stage"):
        op.drop_column("import_job", column, schema=SCHEMA)
