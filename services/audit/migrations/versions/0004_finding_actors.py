"""findings remember who agreed and who completed the action (re-checked by someone else)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"


def upgrade() -> None:
    op.add_column("finding", sa.Column("action_by", sa.String(120), nullable=True), schema=SCHEMA)
    op.add_column("finding", sa.Column("done_by", sa.String(120), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("finding", "done_by", schema=SCHEMA)
    op.drop_column("finding", "action_by", schema=SCHEMA)
