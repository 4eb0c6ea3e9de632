"""Answers of the "is it working?" routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

HREFS = {
    "action": "/v1/actions/{}",
    "release": "/v1/releases/{}",
    "indicator": "/v1/indicators/{}",
    "audit": "/v1/audits/{}",
    "finding": "/v1/findings/{}",
    "programme": "/v1/audit-programmes/{}",
}


class EvidenceLink(BaseModel):
    kind: Literal["action", "release", "indicator", "audit", "finding", "programme"]
    id: str
    href: str = Field(description="where the evidence is read, through the gateway")


class ReasonRead(BaseModel):
    stream: str = Field(description="actions, indicator, audits, findings or evidence")
    verdict: str | None = Field(description="good, improving, flat or bad (outcome streams)")
    text: str
    evidence: list[EvidenceLink]


class StatusRead(BaseModel):
    subject: Literal["criterion", "recommendation"]
    id: int
    plan_id: int
    code: str = Field(description="criterion code (1A) or recommendation source and number")
    text: str
    status: Literal["working", "improving", "not yet", "not working", "no evidence"]
    rule_version: str
    reasons: list[ReasonRead]
    declared_rag: str | None = Field(description="the worst declared RAG of the linked actions")
    disagrees: bool = Field(description="the declared RAG and the computed status disagree")
    counts: dict[str, int]
    agencies: list[str] = Field(description="agencies taking part (actions, audit programmes)")


class StatusList(BaseModel):
    """One page of statuses (the shared page: items, total, limit, offset) with a summary of
    every matching status beside it."""

    items: list[StatusRead]
    total: int = Field(description="how many statuses match, over every page")
    limit: int
    offset: int
    rule_version: str
    evidence_read_at: datetime = Field(description="when the evidence was read (UTC)")
    by_status: dict[str, int] = Field(description="how many match in each status, every page")


class RuleRead(BaseModel):
    rule_version: str
    text: str
