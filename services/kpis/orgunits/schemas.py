"""Org units: inputs and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OrgUnitRead(BaseModel):
    code: str
    level: str
    parent: str | None
    name: str | None


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")
    level: Literal["service", "locality", "team", "worker"]
    parent: str = Field(min_length=2, max_length=60)
    name: str | None = Field(None, max_length=200)
