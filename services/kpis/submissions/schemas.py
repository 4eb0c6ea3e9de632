"""Shapes of a partner's batch of values and the row-by-row answer."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.problems import Problem

MAX_ROWS = 50_000
CSV_COLUMNS = ("indicator", "period", "org_unit", "value", "numerator", "denominator", "comment")
Mode = Literal["all_or_nothing", "partial"]


class SubmissionRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(min_length=1, max_length=40, description="indicator code")
    period: str = Field(
        min_length=4, max_length=20, description="2017-05, 2017/18, 2017/18-Q1, 2017/18-YTD-05"
    )
    org_unit: str = Field(min_length=1, max_length=60, description="org unit code")
    value: Decimal | None = Field(None, ge=-(10**14), le=10**14)
    numerator: int | None = Field(None, ge=-(10**15), le=10**15)
    denominator: int | None = Field(None, ge=-(10**15), le=10**15)
    comment: str | None = Field(None, max_length=1000)


class SubmissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field("all_or_nothing", description="all_or_nothing (default) or partial")
    dry_run: bool = Field(False, description="check and report; write nothing")
    rows: list[SubmissionRow] = Field(min_length=1, max_length=MAX_ROWS)


class SubmissionEnvelope(BaseModel):
    """A JSON batch as read before its rows are judged one by one (a bad row is that
    row's rejection, never the whole batch's)."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "all_or_nothing"
    dry_run: bool = False
    rows: list[Any] = Field(min_length=1, max_length=MAX_ROWS)


class RowResult(BaseModel):
    row: int = Field(description="1-based position in the batch")
    status: Literal["accepted", "unchanged", "rejected"]
    reasons: list[str] = Field(default_factory=list)
    revision: int | None = None


class SubmissionReport(BaseModel):
    submission_id: uuid.UUID | None
    status: Literal["recorded", "checked", "rejected"]
    mode: Mode
    dry_run: bool
    accepted: int
    unchanged: int
    rejected: int
    rows: list[RowResult]


class SubmissionRejected(Problem):
    """A rejected all-or-nothing batch (422): the problem and its row report; nothing written.

    ``status`` is the HTTP status; the report's own status is ``outcome``.
    """

    submission_id: uuid.UUID | None = Field(None, description="null: nothing was recorded")
    outcome: Literal["recorded", "checked", "rejected"]
    mode: Mode
    dry_run: bool
    accepted: int
    unchanged: int
    rejected: int
    rows: list[RowResult] = Field(description="one entry per row, rejected rows with reasons")
