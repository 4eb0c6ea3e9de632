"""browser sign-in: authorization codes (PKCE), federated sign-in requests, browser sessions

Revision ID: 0005
Revises: 0004_wrap
Create Date: 2026-12-04

Refresh tokens may now belong to a browser session of a person signed in through an
agency's own OpenID Connect provider (no local account): ``user_id`` becomes optional and
the session names its client, subject, agency and roles.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004_wrap"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def _ts(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.alter_column("refresh_token", "user_id", nullable=True, schema=SCHEMA)
    op.add_column("refresh_token", sa.Column("client_id", sa.String(64)), schema=SCHEMA)
    op.add_column("refresh_token", sa.Column("subject", sa.String(300)), schema=SCHEMA)
    op.add_column("refresh_token", sa.Column("agency", sa.String(20)), schema=SCHEMA)
    op.add_column("refresh_token", sa.Column("roles", postgresql.JSONB()), schema=SCHEMA)
    op.create_table(
        "authorization_code",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.String(2000), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("roles", postgresql.JSONB(), nullable=False),
        _ts("issued_at", nullable=False),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.app_user.id"], name="fk_authorization_code_user_id_app_user"
        ),
        sa.PrimaryKeyConstraint("code_hash", name="pk_authorization_code"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_authorization_code_expires_at", "authorization_code", ["expires_at"], schema=SCHEMA
    )
    op.create_table(
        "federated_request",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.String(2000), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("client_state", sa.String(500), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("verifier", sa.String(128), nullable=False),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        sa.PrimaryKeyConstraint("state_hash", name="pk_federated_request"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_federated_request_expires_at", "federated_request", ["expires_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_federated_request_expires_at", table_name="federated_request", schema=SCHEMA)
    op.drop_table("federated_request", schema=SCHEMA)
    op.drop_index(
        "ix_authorization_code_expires_at", table_name="authorization_code", schema=SCHEMA
    )
    op.drop_table("authorization_code", schema=SCHEMA)
    op.execute("DELETE FROM gateway.refresh_token WHERE user_id IS NULL")
    op.drop_column("refresh_token", "roles", schema=SCHEMA)
    op.drop_column("refresh_token", "agency", schema=SCHEMA)
    op.drop_column("refresh_token", "subject", schema=SCHEMA)
    op.drop_column("refresh_token", "client_id", schema=SCHEMA)
    op.alter_column("refresh_token", "user_id", nullable=False, schema=SCHEMA)
