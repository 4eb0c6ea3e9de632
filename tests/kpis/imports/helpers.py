"""Small Annex A files written in tests."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

REFERRAL_HEADERS = [
    "Child Unique ID",
    "Gender",
    "Date of Referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    "Allocated Team",
    "Allocated Worker",
]


def referral_rows(*overrides: dict[str, Any], count: int = 3) -> list[dict[str, Any]]:
    rows = [
        {
            "Child Unique ID": f"C{100 + i}",
            "Gender": "a) Male",
            "Date of Referral": f"0{i + 1}/10/2020",
            "Referral Source": "q) 6: Police",
            "Referral NFA?": "No",
            "Number of Referrals in Last 12 Months": "0",
            "Allocated Team": "Duty Team",
            "Allocated Worker": "Ann Example",
        }
        for i in range(count)
    ]
    for index, change in enumerate(overrides):
        rows[index].update(change)
    return rows


def csv_bytes(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or REFERRAL_HEADERS
    lines = [",".join(headers)]
    for row in rows:
        lines.append(",".join(str(row.get(h, "")) for h in headers))
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
