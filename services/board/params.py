"""Input guards of the board service's schemas and routes.

PostgreSQL refuses NUL characters in text and integers beyond 64 bits; both are caught at
the edge as 422s naming the field, never as database errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"

#: a database id in a path
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
#: an agency code (as the gateway's agencies)
Agency = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
#: a meeting type's code
TypeCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
#: a plan action's reference (theme, criterion letter, number: ``1A1``); format only
ActionRef = Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z][0-9]{1,2}$")]


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
