"""Answers of the pack routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PackSummary(BaseModel):
    pack_id: uuid.UUID
    meeting_id: int
    previous_meeting_id: int | None
    digest: str = Field(description="SHA-256 of the pack's document (RFC 8785 JSON)")
    rule_version: str
    created_by: str
    created_at: datetime


class PackRead(PackSummary):
    manifest: dict[str, Any] = Field(description="what the signature covers")
    signature: str = Field(description="ES256 over the manifest's RFC 8785 form, base64")
    key_id: str
    public_key: str = Field(description="PEM public key verifying the signature")
    verified: bool = Field(
        description="the stored document still hashes to the manifest's digest and the "
        "signature verifies"
    )
    document: dict[str, Any] = Field(description="the pinned document the pack renders from")
    html_href: str
    pdf_href: str
