"""Shapes of the imports API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.kpis.imports.models import ImportJob, ImportValue

ImportKind = Literal["annex_a", "ssda903", "cin_census"]
ImportStatus = Literal["queued", "running", "succeeded", "rejected", "failed", "withdrawn"]


class Issue(BaseModel):
    sheet: str | None
    row: int | None
    column: str | None
    reason: str


class OutsideYear(BaseModel):
    list: str
    reason: str
    count: int


class Withdrawal(BaseModel):
    at: datetime
    by: str
    reason: str
    #: values of the import that were current and are not any more (``None``: the values
    #: domain is absent)
    values_withdrawn: int | None = None
    #: earlier values (of other imports or submissions) current again
    values_restored: int | None = None


class WithdrawRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why the import is wrong")


class Report(BaseModel):
    error_count: int = 0
    warning_count: int = 0
    errors: list[Issue] = []
    warnings: list[Issue] = []
    truncated: bool = False
    lists: dict[str, int] = {}
    values_recorded: int | None = None
    #: rows left out because they could not be placed (no child id, no usable date, a
    #: repeat of an earlier row); a code not in the year's list never drops a row
    rows_dropped: int | None = None
    #: the months computed (one collection year; several: ``collection_years``)
    period: dict[str, str] | None = None
    #: collection year ("2017/18") → the months computed for it
    collection_years: dict[str, dict[str, str]] | None = None
    #: Annex A rows counted in no month of the collection year: list, reason, count
    outside_year: list[OutsideYear] | None = None
    #: SSDA903: episodes listed by the files of several years (each year counts its own)
    episodes_in_several_years: int | None = None
    #: SSDA903: collection year → children in care left out of long-term placement
    #: stability, their period of care or placement having begun before the year's files
    placement_stability_lt_unplaced: dict[str, int] | None = None
    #: when the import was withdrawn, by whom, why, and what happened to the values
    withdrawal: Withdrawal | None = None
    #: seconds spent in each phase of a successful import
    timings_s: dict[str, float] | None = None


ImportStage = Literal["queued", "reading", "computing", "recording", "finished"]


class Progress(BaseModel):
    """Where a job is: written on the job row as it runs, the same on every replica."""

    stage: ImportStage = Field(description="queued, reading, computing, recording, finished")
    rows_read: int
    rows_stored: int
    rows_expected: int | None = Field(
        None, description="rows the files hold, counted before reading (an estimate)"
    )
    percent: int | None = Field(
        None,
        description="reading 0-89 by rows read over rows expected, computing 90, "
        "recording 95, finished 100; empty while reading when rows expected is unknown",
    )
    updated_at: datetime | None = Field(None, description="when the progress last moved")

    @classmethod
    def of(cls, job: ImportJob) -> Progress:
        return cls(
            stage=job.stage or "queued",
            rows_read=job.rows_read or 0,
            rows_stored=job.rows_stored or 0,
            rows_expected=job.rows_expected,
            percent=job.percent,
            updated_at=job.updated_at,
        )


class ImportProgressEvent(Progress):
    """The ``data`` of each server-sent event of ``GET /v1/imports/{import_id}/events``."""

    id: uuid.UUID
    status: ImportStatus

    @classmethod
    def of(cls, job: ImportJob) -> ImportProgressEvent:
        return cls(id=job.id, status=job.status, **Progress.of(job).model_dump())


class ImportRead(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    status: ImportStatus
    partial: bool
    collection_year: int | None
    population: int | None
    created_at: datetime
    finished_at: datetime | None
    progress: Progress
    values_count: int
    report: Report
    #: this upload was the same file as an earlier import: nothing was applied again
    duplicate: bool = False

    @classmethod
    def of(cls, job: ImportJob, *, duplicate: bool = False) -> ImportRead:
        raw: dict[str, Any] = dict(job.report or {})
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            partial=job.partial,
            collection_year=job.collection_year,
            population=job.population,
            created_at=job.created_at,
            finished_at=job.finished_at,
            progress=Progress.of(job),
            values_count=job.values_count or 0,
            report=Report.model_validate(raw),
            duplicate=duplicate,
        )


class ImportValueRead(BaseModel):
    indicator_code: str
    period_type: str
    period_start: date
    period_end: date
    org_unit_code: str
    value: Decimal | None
    numerator: int | None
    denominator: int | None

    @classmethod
    def of(cls, row: ImportValue) -> ImportValueRead:
        return cls(
            indicator_code=row.indicator_code,
            period_type=row.period_type,
            period_start=row.period_start,
            period_end=row.period_end,
            org_unit_code=row.org_unit_code,
            value=row.value,
            numerator=row.numerator,
            denominator=row.denominator,
        )
