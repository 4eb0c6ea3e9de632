"""Agency inputs and outputs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=20, pattern=r"^[a-z][a-z0-9-]*$")
    display_name: str = Field(min_length=1, max_length=200)
    current_name: str = Field(min_length=1, max_length=200)


class AgencyRead(BaseModel):
    code: str
    display_name: str
    current_name: str
