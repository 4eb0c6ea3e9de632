"""programme → success criterion links (the criterion by code, a reference to the plan)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"


def upgrade() -> None:
    op.create_table(
        "programme_criterion",
        sa.Column("programme_id", sa.BigInteger(), nullable=False),
        sa.Column("criterion_code", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["audit.audit_programme.programme_id"],
            name=op.f("fk_programme_criterion_programme_id_audit_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "criterion_code", name=op.f("pk_programme_criterion")
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_audit_programme_criterion_criterion_code"),
        "programme_criterion",
        ["criterion_code"],
        unique=False,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_audit_programme_criterion_criterion_code"),
        table_name="programme_criterion",
        schema=SCHEMA,
    )
    op.drop_table("programme_criterion", schema=SCHEMA)
