"""Sprint answers and inputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class SprintRead(BaseModel):
    sprint_id: int
    plan_id: int
    number: int
    start_date: date
    end_date: date
    status: str
    closed_at: datetime | None
    closed_by: str | None
    snapshot: dict[str, Any] | None
    version: int
