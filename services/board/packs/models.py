"""Board packs: the pinned document a pack was made from, its manifest and signature.

A pack keeps the whole document it was rendered from (``document``, JSONB), so its HTML and
PDF are rendered again from it byte for byte; ``digest`` is the SHA-256 of the document's
RFC 8785 form and the manifest (signed) names it. ``meeting_id`` is not a foreign key: a
signed pack outlives an edit or deletion of its meeting (it copies what it showed of it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.board.db import Base


class Pack(Base):
    __tablename__ = "pack"
    __table_args__ = (Index("ix_pack_meeting", "meeting_id", "created_at"),)

    pack_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigInteger)
    previous_meeting_id: Mapped[int | None] = mapped_column(BigInteger)
    agencies: Mapped[list[str]] = mapped_column(JSONB)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    digest: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONB)
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
