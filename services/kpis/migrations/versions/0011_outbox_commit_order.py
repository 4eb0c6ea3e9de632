"""outbox commit order: each event's transaction id, and the webhook cursor on (txid, seq)

The webhook dispatcher walked the outbox by ``seq``, which is taken at insert: an event whose
transaction committed after a later ``seq``'s was skipped for good. Rows now carry their
transaction's id and the dispatcher reads only below the oldest transaction still running.

Revision ID: 0011_outbox_commit_order
Revises: 0010_webhooks
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_outbox_commit_order"
down_revision: str | None = "0010_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "kpis"
TXID = sa.text("(pg_current_xact_id()::text)::bigint")


def upgrade() -> None:
    # rows already there get this migration's transaction id: final once it commits
    op.add_column(
        "outbox",
        sa.Column("txid", sa.BigInteger(), server_default=TXID, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_outbox_txid_seq", "outbox", ["txid", "seq"], schema=SCHEMA)
    op.add_column(
        "webhook_cursor",
        sa.Column("txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        schema=SCHEMA,
    )
    # the events up to the cursor's seq were sent; those after it (all of this transaction's
    # id now) are still to send: the cursor becomes (this transaction, its seq)
    op.execute("UPDATE kpis.webhook_cursor SET txid = (pg_current_xact_id()::text)::bigint")


def downgrade() -> None:
    op.drop_column("webhook_cursor", "txid", schema=SCHEMA)
    op.drop_index("ix_outbox_txid_seq", table_name="outbox", schema=SCHEMA)
    op.drop_column("outbox", "txid", schema=SCHEMA)
