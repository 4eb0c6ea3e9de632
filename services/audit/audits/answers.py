"""Answers checked against the tool version the audit is done on."""

from __future__ import annotations

from typing import Any

from services.audit.tools.schemas import GRADE_SCALE
from shared.problems import InvalidInput, field_error


def questions(sections: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {q["code"]: q for s in sections for q in s["questions"]}


def _fits(question: dict[str, Any], value: Any) -> bool:
    kind = question["answer_type"]
    if kind == "grade":
        return value in GRADE_SCALE
    if kind == "yes_no":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "choice":
        return value in question["options"]
    return isinstance(value, str) and 0 < len(value) <= 4000


def check(tool_sections: list[dict[str, Any]], answers: dict[str, Any]) -> None:
    """Unknown questions and answers of the wrong type are 422s naming the question."""
    known = questions(tool_sections)
    errors = []
    for code, value in answers.items():
        question = known.get(code)
        if question is None:
            errors.append(field_error(f"answers.{code[:20]}", "no such question", "unknown"))
        elif value is not None and not _fits(question, value):
            message = f"expected a {question['answer_type']} answer"
            errors.append(field_error(f"answers.{code}", message, "wrong_type"))
    if errors:
        raise InvalidInput("some answers do not fit the audit tool", extensions={"errors": errors})


def missing(tool_sections: list[dict[str, Any]], answers: dict[str, Any]) -> list[str]:
    return [
        code
        for code, q in questions(tool_sections).items()
        if q.get("required", True) and answers.get(code) is None
    ]
