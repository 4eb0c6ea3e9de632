"""Audit tool shapes: sections of questions with answer types and guidance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.audit.params import Input

Grade = Literal["outstanding", "good", "requires_improvement", "inadequate"]
GRADE_SCALE: tuple[Grade, ...] = ("outstanding", "good", "requires_improvement", "inadequate")
AnswerType = Literal["grade", "yes_no", "text", "number", "choice"]
Code = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")


class Question(Input):
    code: str = Code
    text: str = Field(min_length=1, max_length=500)
    answer_type: AnswerType
    guidance: str | None = Field(None, max_length=2000)
    options: list[str] = Field(default_factory=list, max_length=20)
    required: bool = True

    @model_validator(mode="after")
    def _options_for_choice(self) -> Question:
        if (self.answer_type == "choice") != bool(self.options):
            raise ValueError("options are given for, and only for, choice questions")
        return self


class Section(Input):
    code: str = Code
    title: str = Field(min_length=1, max_length=200)
    questions: list[Question] = Field(min_length=1, max_length=100)


class ToolCreate(Input):
    """A new tool, or the next version of an existing code."""

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    title: str = Field(min_length=1, max_length=200)
    sections: list[Section] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _unique_codes(self) -> ToolCreate:
        codes = [q.code for s in self.sections for q in s.questions]
        if len(codes) != len(set(codes)):
            raise ValueError("question codes must be unique within a tool")
        return self


class ToolRead(BaseModel):
    tool_id: int
    code: str
    version: int
    title: str
    sections: list[Section]
    grade_scale: list[Grade] = list(GRADE_SCALE)
    created_at: datetime
