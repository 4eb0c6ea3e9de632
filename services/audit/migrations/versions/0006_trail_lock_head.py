"""trail: take the chain lock, read the head and the already-stored ids in one call

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # VOLATILE plpgsql: each statement takes a fresh snapshot (READ COMMITTED), so the head
    # and the duplicate check are read AFTER the lock is granted, seeing every earlier commit.
    op.execute(
        """
        CREATE FUNCTION audit.trail_lock_head(
            lock_key bigint, ids uuid[],
            OUT head_seq bigint, OUT head_hash text, OUT present uuid[]
        )
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            SELECT e.seq, e.hash INTO head_seq, head_hash
              FROM audit.trail_event e ORDER BY e.seq DESC LIMIT 1;
            SELECT coalesce(array_agg(e.event_id), '{}') INTO present
              FROM audit.trail_event e WHERE e.event_id = ANY(ids);
        END;
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS audit.trail_lock_head(bigint, uuid[])")
