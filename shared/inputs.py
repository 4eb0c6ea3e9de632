"""Input guards every service's schemas and routes share.

PostgreSQL refuses NUL characters in text and integers beyond 64 bits; both are caught at
the edge as 422s naming the field, never as database errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"

#: a database id in a path
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
#: a database id in a query
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
#: a database id in a body
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]


def text_query(max_length: int) -> Any:
    return Query(max_length=max_length, pattern=NO_NUL)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, BaseModel):
        return _has_nul(value.model_dump())
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Input(BaseModel):
    """Base of every input schema: unknown fields refused, no NUL characters anywhere."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value
