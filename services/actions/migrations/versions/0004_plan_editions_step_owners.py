"""a plan that lives past its first dates: plan editions, step owners, due dates and status

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "actions"


def upgrade() -> None:
    # plans: a refresh makes the next edition of the same plan, pointing back at the last
    op.add_column(
        "plan", sa.Column("edition", sa.Integer(), server_default="1", nullable=False), schema=S
    )
    op.add_column("plan", sa.Column("previous_plan_id", sa.Integer(), nullable=True), schema=S)
    op.create_foreign_key(
        op.f("fk_plan_previous_plan_id_plan"),
        "plan",
        "plan",
        ["previous_plan_id"],
        ["plan_id"],
        source_schema=S,
        referent_schema=S,
        ondelete="SET NULL",
    )
    op.drop_constraint("uq_plan_title_authority", "plan", schema=S, type_="unique")
    op.create_unique_constraint(
        op.f("uq_plan_title_authority_edition"), "plan", ["title", "authority", "edition"], schema=S
    )
    # owners: a role linked to a person's account (subject) shows the person's name
    op.add_column("owner", sa.Column("display_name", sa.String(200), nullable=True), schema=S)
    # steps: an owner (a role linked to a person), a due date and a status
    op.add_column("action_step", sa.Column("owner_id", sa.Integer(), nullable=True), schema=S)
    op.add_column("action_step", sa.Column("due_date", sa.Date(), nullable=True), schema=S)
    op.add_column(
        "action_step",
        sa.Column("status", sa.String(20), server_default="not_started", nullable=False),
        schema=S,
    )
    op.create_foreign_key(
        op.f("fk_action_step_owner_id_owner"),
        "action_step",
        "owner",
        ["owner_id"],
        ["owner_id"],
        source_schema=S,
        referent_schema=S,
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_actions_action_step_owner_id"), "action_step", ["owner_id"], schema=S)
    # reminders: the steps (ref#number) an owner is reminded of, beside the actions
    op.add_column(
        "reminder",
        sa.Column(
            "step_refs",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("reminder", "step_refs", schema=S)
    op.drop_index(op.f("ix_actions_action_step_owner_id"), table_name="action_step", schema=S)
    op.drop_constraint(
        op.f("fk_action_step_owner_id_owner"), "action_step", schema=S, type_="foreignkey"
    )
    op.drop_column("action_step", "status", schema=S)
    op.drop_column("action_step", "due_date", schema=S)
    op.drop_column("action_step", "owner_id", schema=S)
    op.drop_column("owner", "display_name", schema=S)
    op.drop_constraint(op.f("uq_plan_title_authority_edition"), "plan", schema=S, type_="unique")
    # later editions cannot share the old (title, authority) key: their titles say which
    # edition they are (nothing is deleted)
    op.execute(
        "UPDATE actions.plan SET title = left(title, 180) || ' (edition ' || edition || ')' "
        "WHERE edition > 1"
    )
    op.create_unique_constraint("uq_plan_title_authority", "plan", ["title", "authority"], schema=S)
    op.drop_constraint(op.f("fk_plan_previous_plan_id_plan"), "plan", schema=S, type_="foreignkey")
    op.drop_column("plan", "previous_plan_id", schema=S)
    op.drop_column("plan", "edition", schema=S)
