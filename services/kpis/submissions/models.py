"""A partner's batch of values, as received (the row report is returned, not stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base


class Submission(Base):
    __tablename__ = "submission"

    submission_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    agency: Mapped[str] = mapped_column(String(40))
    submitted_by: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    is_dry_run: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
