"""signing keys stored wrapped by GATEWAY_KEY_WRAPPING_KEY, never plain PEM

Revision ID: 0004_wrap
Revises: 0003
Create Date: 2027-01-10

``private_pem`` becomes ``private_key_wrapped``. Rows written from now on must be wrapped
(``wrapped:v1:...``); the check is added NOT VALID so that rows from before stay readable
until the bootstrap (or ``python -m services.gateway.keys rewrap``) wraps them with the key
from the environment: the migration has no key to wrap them with. Old gateway instances read
``private_pem``: stop them before this runs (docs/operations.md, upgrading).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_wrap"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.alter_column(
        "signing_key", "private_pem", new_column_name="private_key_wrapped", schema=SCHEMA
    )
    op.execute(
        "ALTER TABLE gateway.signing_key ADD CONSTRAINT ck_signing_key_wrapped "
        "CHECK (private_key_wrapped LIKE 'wrapped:v1:%') NOT VALID"
    )


def downgrade() -> None:
    # wrapped rows stay wrapped: a downgrade never writes private keys out in plain text
    op.drop_constraint("ck_signing_key_wrapped", "signing_key", schema=SCHEMA)
    op.alter_column(
        "signing_key", "private_key_wrapped", new_column_name="private_pem", schema=SCHEMA
    )
