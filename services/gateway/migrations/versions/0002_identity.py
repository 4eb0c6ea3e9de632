"""identity: agencies, clients, users, refresh tokens, signing keys, deny list

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"
AGENCIES = [
    {"code": "council", "display_name": "Wirral Council", "current_name": "Wirral Council"},
    {
        "code": "ccg",
        "display_name": "Wirral CCG",
        "current_name": "NHS Cheshire and Merseyside ICB",
    },
    {"code": "police", "display_name": "Merseyside Police", "current_name": "Merseyside Police"},
    {
        "code": "probation",
        "display_name": "National Probation Service",
        "current_name": "The Probation Service",
    },
]


def _ts(name: str, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("current_name", sa.String(200), nullable=False),
        _ts("created_at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("code", name="pk_agency"),
        schema=SCHEMA,
    )
    agency = sa.table(
        "agency",
        sa.column("code", sa.String),
        sa.column("display_name", sa.String),
        sa.column("current_name", sa.String),
        schema=SCHEMA,
    )
    op.bulk_insert(agency, AGENCIES)
    op.create_table(
        "client",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("scopes", postgresql.JSONB(), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=True),
        sa.Column("public_jwk", postgresql.JSONB(), nullable=True),
        _ts("created_at", nullable=False, default=True),
        _ts("rotated_at"),
        _ts("disabled_at"),
        sa.PrimaryKeyConstraint("id", name="pk_client"),
        sa.UniqueConstraint("client_id", name="uq_client_client_id"),
        sa.ForeignKeyConstraint(
            ["agency"], [f"{SCHEMA}.agency.code"], name="fk_client_agency_agency"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "used_assertion",
        sa.Column("jti", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        _ts("expires_at", nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_used_assertion"),
        schema=SCHEMA,
    )
    op.create_table(
        "app_user",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("roles", postgresql.JSONB(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False),
        _ts("locked_until"),
        _ts("created_at", nullable=False, default=True),
        _ts("disabled_at"),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
        sa.ForeignKeyConstraint(
            ["agency"], [f"{SCHEMA}.agency.code"], name="fk_app_user_agency_agency"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _ts("issued_at", nullable=False, default=True),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        _ts("revoked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_token"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_token_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.app_user.id"], name="fk_refresh_token_user_id_app_user"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"], schema=SCHEMA)
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(), nullable=False),
        _ts("created_at", nullable=False, default=True),
        _ts("activate_at", nullable=False),
        _ts("retire_at"),
        _ts("expire_at"),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "deny_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        _ts("created_at", nullable=False, default=True),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_deny_entry"),
        sa.UniqueConstraint("kind", "value", name="uq_deny_entry_kind_value"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("deny_entry", schema=SCHEMA)
    op.drop_table("signing_key", schema=SCHEMA)
    op.drop_index("ix_refresh_token_family_id", table_name="refresh_token", schema=SCHEMA)
    op.drop_table("refresh_token", schema=SCHEMA)
    op.drop_table("app_user", schema=SCHEMA)
    op.drop_table("used_assertion", schema=SCHEMA)
    op.drop_table("client", schema=SCHEMA)
    op.drop_table("agency", schema=SCHEMA)
