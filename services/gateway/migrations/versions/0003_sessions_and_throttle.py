"""sessions end their access tokens; failed logins counted per typed name, known or not

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

The per-account counters move from ``app_user`` to ``login_throttle`` (keyed by a keyed
hash of the name, so the migration cannot carry them over): lockouts in force when this
runs are lifted; failure counts start again from zero.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def _ts(name: str, *, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.text("now()") if default else None,
    )


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("access_jti", sa.String(64)), schema=SCHEMA)
    op.add_column("refresh_token", _ts("access_expires_at"), schema=SCHEMA)
    op.create_table(
        "login_throttle",
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False),
        _ts("locked_until"),
        _ts("last_failed_at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("name_key", name="pk_login_throttle"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_login_throttle_last_failed_at", "login_throttle", ["last_failed_at"], schema=SCHEMA
    )
    op.drop_column("app_user", "failed_logins", schema=SCHEMA)
    op.drop_column("app_user", "lockouts", schema=SCHEMA)
    op.drop_column("app_user", "locked_until", schema=SCHEMA)


def downgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "app_user",
        sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False),
        schema=SCHEMA,
    )
    op.add_column("app_user", _ts("locked_until"), schema=SCHEMA)
    op.drop_index("ix_login_throttle_last_failed_at", table_name="login_throttle", schema=SCHEMA)
    op.drop_table("login_throttle", schema=SCHEMA)
    op.drop_column("refresh_token", "access_expires_at", schema=SCHEMA)
    op.drop_column("refresh_token", "access_jti", schema=SCHEMA)
