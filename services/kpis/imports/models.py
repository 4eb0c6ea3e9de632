"""Tables of the imports: jobs, the child-level store and the values each import computed.

The child-level tables hold pseudonyms only (keyed hashes of child identifiers, staff codes
for workers, team codes). They carry no primary key and one BRIN index on ``import_id``: they
are loaded with ``COPY`` and read set-wise per import, and every B-tree slows the load.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base

CHILD_LEN = 32
TEAM_LEN = 60
STAFF_LEN = 14


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (
        sa.Index(
            "ix_import_job_applied_sha256",
            "file_sha256",
            unique=True,
            postgresql_where=sa.text("status = 'succeeded'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    partial: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    collection_year: Mapped[int | None] = mapped_column(sa.Integer)
    population: Mapped[int | None] = mapped_column(sa.Integer)
    agency: Mapped[str] = mapped_column(sa.String(40))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    rows_stored: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    error_count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    warning_count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    values_count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    report: Mapped[dict[str, object]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    #: progress, written by the runner as it goes (services/kpis/imports/progress.py):
    #: queued, reading, computing, recording, finished
    stage: Mapped[str] = mapped_column(sa.String(20), server_default="queued")
    #: rows the files hold, counted before reading (an estimate: lines, sheet dimensions)
    rows_expected: Mapped[int | None] = mapped_column(sa.BigInteger)
    percent: Mapped[int | None] = mapped_column(sa.SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


def _child_table(name: str, *columns: sa.Column[object]) -> sa.Table:
    return sa.Table(
        name,
        Base.metadata,
        sa.Column("import_id", UUID(as_uuid=True), nullable=False),
        sa.Column("child", sa.String(CHILD_LEN), nullable=False),
        *columns,
        sa.Column("team", sa.String(TEAM_LEN), nullable=True),
        sa.Column("worker", sa.String(STAFF_LEN), nullable=True),
        # an import's rows are loaded together, so they sit in adjacent blocks: a BRIN
        # index finds them at almost no cost to the load (a B-tree halves COPY's speed)
        sa.Index(f"ix_{name}_import_id", "import_id", postgresql_using="brin"),
    )


contact = _child_table(
    "cm_contact",
    sa.Column("contact_date", sa.Date(), nullable=False),
    sa.Column("source", sa.String(4), nullable=True),
    # local exports only: the front door's decision, and the working days it took
    sa.Column("decision_date", sa.Date(), nullable=True),
    sa.Column("working_days", sa.Integer(), nullable=True),
)
referral = _child_table(
    "cm_referral",
    sa.Column("referral_date", sa.Date(), nullable=False),
    sa.Column("source", sa.String(4), nullable=True),
    sa.Column("nfa", sa.Boolean(), nullable=True),
    # the export's own flag (referrals in the last 12 months > 0)
    sa.Column("rereferral", sa.Boolean(), nullable=False),
)
assessment = _child_table(
    "cm_assessment",
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("authorised_date", sa.Date(), nullable=True),
    sa.Column("working_days", sa.Integer(), nullable=True),
)
s47 = _child_table(
    "cm_s47",
    sa.Column("s47_date", sa.Date(), nullable=False),
    sa.Column("icpc_date", sa.Date(), nullable=True),
    sa.Column("icpc_unnecessary", sa.Boolean(), nullable=True),
    sa.Column("transfer_in", sa.Boolean(), nullable=False),
    sa.Column("working_days", sa.Integer(), nullable=True),
)
cin_episode = _child_table(
    "cm_cin_episode",
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    # CIN census: the child has a disability (Annex A: empty)
    sa.Column("disabled", sa.Boolean(), nullable=True),
)
cp_plan = _child_table(
    "cm_cp_plan",
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("category", sa.String(20), nullable=True),
    sa.Column("previous_plans", sa.Integer(), nullable=True),
)
cla_episode = _child_table(
    "cm_cla_episode",
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    # null: not known (a code not in that year's list, reported as a warning)
    sa.Column("legal_status", sa.String(2), nullable=True),
    # SSDA903: the collection year of the file the row came from (Annex A: empty)
    sa.Column("collection_year", sa.Integer(), nullable=True),
    # SSDA903: the reason the episode started (RNE) and its placement type (PLACE)
    sa.Column("reason_new", sa.String(1), nullable=True),
    sa.Column("placement", sa.String(2), nullable=True),
)
care_leaver = _child_table(
    "cm_care_leaver",
    sa.Column("in_touch", sa.String(4), nullable=True),
    sa.Column("accommodation", sa.String(4), nullable=True),
    sa.Column("suitable", sa.Boolean(), nullable=True),
    sa.Column("activity", sa.String(2), nullable=True),
    sa.Column("collection_year", sa.Integer(), nullable=True),
)

#: CIN census: each factor identified at the end of an authorised assessment
assessment_factor = _child_table(
    "cm_assessment_factor",
    sa.Column("authorised_date", sa.Date(), nullable=False),
    sa.Column("factor", sa.String(4), nullable=False),
)

#: SSDA903 missing: each period missing from (M) or away without authorisation from (A)
#: the placement
missing = _child_table(
    "cm_missing",
    sa.Column("missing_type", sa.String(1), nullable=True),
    sa.Column("mis_start", sa.Date(), nullable=False),
    sa.Column("mis_end", sa.Date(), nullable=True),
    sa.Column("collection_year", sa.Integer(), nullable=True),
)
#: SSDA903 OC2: the health of children looked after continuously for 12 months
health = _child_table(
    "cm_health",
    sa.Column("sdq_score", sa.Integer(), nullable=True),
    sa.Column("health_assessment", sa.Boolean(), nullable=True),
    sa.Column("immunisations", sa.Boolean(), nullable=True),
    sa.Column("teeth_check", sa.Boolean(), nullable=True),
    sa.Column("collection_year", sa.Integer(), nullable=True),
)
#: SSDA903 header: each child's age on 31 March of the collection year (the age conditions
#: of the measures; the date of birth is not kept)
child_header = _child_table(
    "cm_child_header",
    sa.Column("age_31mar", sa.Integer(), nullable=False),
    sa.Column("collection_year", sa.Integer(), nullable=True),
)

#: Annex A List 2: early help assessments
early_help = _child_table(
    "cm_early_help",
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("completion_date", sa.Date(), nullable=True),
)

CHILD_TABLES: dict[str, sa.Table] = {
    "contact": contact,
    "referral": referral,
    "assessment": assessment,
    "s47": s47,
    "cin_episode": cin_episode,
    "cp_plan": cp_plan,
    "cla_episode": cla_episode,
    "care_leaver": care_leaver,
    "assessment_factor": assessment_factor,
    "missing": missing,
    "health": health,
    "child_header": child_header,
    "early_help": early_help,
}


class ImportValue(Base):
    """An indicator value as this import computed it (kept for audit and recomputation)."""

    __tablename__ = "import_value"
    __table_args__ = (
        sa.UniqueConstraint(
            "import_id",
            "indicator_code",
            "period_type",
            "period_start",
            "period_end",
            "org_unit_code",
            name="uq_import_value_slot",
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("import_job.id", ondelete="CASCADE")
    )
    indicator_code: Mapped[str] = mapped_column(sa.String(60))
    period_type: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    org_unit_code: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    numerator: Mapped[int | None] = mapped_column(sa.BigInteger)
    denominator: Mapped[int | None] = mapped_column(sa.BigInteger)
