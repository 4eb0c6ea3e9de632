"""imports: SSDA903 placements, missing, OC2 health, dates of birth; early help; decisions

Revision ID: 0007_ssda903_measures
Revises: 0006_cin_census
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0007_ssda903_measures"
down_revision: str | None = "0006_cin_census"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"


def _new_tables() -> dict[str, tuple[sa.Column[object], ...]]:
    """Fresh columns each call (a column belongs to one table object)."""
    return {
        "cm_missing": (
            sa.Column("missing_type", sa.String(1), nullable=True),
            sa.Column("mis_start", sa.Date(), nullable=False),
            sa.Column("mis_end", sa.Date(), nullable=True),
            sa.Column("collection_year", sa.Integer(), nullable=True),
        ),
        "cm_health": (
            sa.Column("sdq_score", sa.Integer(), nullable=True),
            sa.Column("health_assessment", sa.Boolean(), nullable=True),
            sa.Column("immunisations", sa.Boolean(), nullable=True),
            sa.Column("teeth_check", sa.Boolean(), nullable=True),
            sa.Column("collection_year", sa.Integer(), nullable=True),
        ),
        "cm_early_help": (
            sa.Column("start_date", sa.Date(), nullable=False),
            sa.Column("completion_date", sa.Date(), nullable=True),
        ),
        "cm_child_header": (
            sa.Column("age_31mar", sa.Integer(), nullable=False),
            sa.Column("collection_year", sa.Integer(), nullable=True),
        ),
    }


def upgrade() -> None:
    # nullable, no default: adding them rewrites nothing (earlier rows leave them empty)
    op.add_column(
        "cm_cla_episode", sa.Column("reason_new", sa.String(1), nullable=True), schema=SCHEMA
    )
    op.add_column(
        "cm_cla_episode", sa.Column("placement", sa.String(2), nullable=True), schema=SCHEMA
    )
    for name, type_ in (("decision_date", sa.Date()), ("working_days", sa.Integer())):
        op.add_column("cm_contact", sa.Column(name, type_, nullable=True), schema=SCHEMA)
    for name, columns in _new_tables().items():
        op.create_table(
            name,
            sa.Column("import_id", UUID(as_uuid=True), nullable=False),
            sa.Column("child", sa.String(32), nullable=False),
            *columns,
            sa.Column("team", sa.String(60), nullable=True),
            sa.Column("worker", sa.String(14), nullable=True),
            schema=SCHEMA,
        )
        op.create_index(
            f"ix_{name}_import_id", name, ["import_id"], schema=SCHEMA, postgresql_using="brin"
        )


def downgrade() -> None:
    for name in reversed(list(_new_tables())):
        op.drop_index(f"ix_{name}_import_id", name, schema=SCHEMA)
        op.drop_table(name, schema=SCHEMA)
    op.drop_column("cm_contact", "working_days", schema=SCHEMA)
    op.drop_column("cm_contact", "decision_date", schema=SCHEMA)
    op.drop_column("cm_cla_episode", "placement", schema=SCHEMA)
    op.drop_column("cm_cla_episode", "reason_new", schema=SCHEMA)
