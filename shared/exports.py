"""Tabular exports people open: CSV or an XLSX workbook, chosen by ``?format=`` or ``Accept``.

One sheet, a header row of field names, one row per item. Numbers stay numbers in the
workbook (``Decimal`` kept exact as written), dates are dates, timestamps are UTC without a
zone (Excel has none). Every text cell is written as text, never as a formula: a value that
begins with ``=`` cannot run in the reader's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Header, Query
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

ExportFormat = Literal["csv", "xlsx"]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: ``?format=`` of an export route (the ``Accept`` header decides when it is absent).
FormatQuery = Annotated[
    ExportFormat | None, Query(description="csv or xlsx; default from Accept, else csv")
]
AcceptHeader = Annotated[str | None, Header(max_length=500, include_in_schema=False)]

Representation = Literal["json", "csv", "xlsx"]

#: ``?format=`` of a route answering JSON by default and a table on request.
RepresentationQuery = Annotated[
    Representation | None,
    Query(description="json (the default), csv or xlsx; absent: from Accept, else json"),
]

#: The OpenAPI ``responses`` entry of an export route.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}


def chosen_format(asked: ExportFormat | None, accept: str | None) -> ExportFormat:
    """``?format=`` wins; otherwise an ``Accept`` naming the workbook type; otherwise CSV."""
    return asked or table_format(accept) or "csv"


def table_format(accept: str | None) -> ExportFormat | None:
    """The table an ``Accept`` header asks for (XLSX before CSV), or None (JSON)."""
    if accept and XLSX_TYPE in accept:
        return "xlsx"
    if accept and "text/csv" in accept:
        return "csv"
    return None


def representation(format: Representation | None, accept: str | None) -> ExportFormat | None:
    """The table a JSON-by-default route is asked for: ``?format=`` (``json``: none), else
    the ``Accept`` header's; ``None`` means JSON."""
    if format is None:
        return table_format(accept)
    return None if format == "json" else format


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return str(value)


def workbook_bytes(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], title: str) -> bytes:
    """One sheet named ``title``: the header row, then each row's ``fields`` in order."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = title[:31]
    for col, name in enumerate(fields, start=1):
        sheet.cell(row=1, column=col, value=name)
    for r, row in enumerate(rows, start=2):
        for col, name in enumerate(fields, start=1):
            value = _cell(row.get(name))
            cell = sheet.cell(row=r, column=col)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = TYPE_STRING  # text, even when it begins with "="
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def export_response(
    fmt: ExportFormat,
    csv_rows: Iterable[Mapping[str, Any]],
    xlsx_rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    name: str,
) -> Response:
    """The export as CSV (``csv_rows``, as text) or XLSX (``xlsx_rows``, typed values)."""
    if fmt == "xlsx":
        return Response(
            workbook_bytes(xlsx_rows, fields, name),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(csv_text(csv_rows, fields), media_type=CSV_TYPE)
