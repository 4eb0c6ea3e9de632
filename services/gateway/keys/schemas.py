"""Deny list shapes: an entry to add, an entry in force."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DenyKind = Literal["client", "user", "jti"]


class DenyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DenyKind
    value: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None


class DenyRead(BaseModel):
    kind: str
    value: str
    reason: str
    created_at: datetime
    expires_at: datetime | None
