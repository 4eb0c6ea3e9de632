"""Conditional updates (RFC 9110): reads return an ``ETag``, writes must send ``If-Match``.

A missing ``If-Match`` is a 428 problem, a stale one a 412 problem, so two writers racing on
the same version cannot both win. The version is whatever the service keeps per row (a
counter bumped on each change); the ETag is a strong validator derived from it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from shared.problems import PreconditionFailed, PreconditionRequired


def etag_for(kind: str, entity_id: object, version: int) -> str:
    return f'"{kind}-{entity_id}-v{version}"'


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="the ETag of the version being changed (required on updates)",
    ),
]


def check_if_match(if_match: str | None, current: str) -> None:
    """Raise 428 when ``if_match`` is missing and 412 when it names another version."""
    if not if_match:
        raise PreconditionRequired(
            "send If-Match with the ETag from your last read of this resource"
        )
    offered = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in offered or current in offered:
        return
    raise PreconditionFailed(
        "the resource changed since you read it; read it again and retry",
        extensions={"current_etag": current},
    )
