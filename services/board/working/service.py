"""Statuses per success criterion and per recommendation, computed by :mod:`.rule` from
evidence read through the gateway (:mod:`.evidence`).

The evidence is read once and kept for ``evidence_ttl_s`` seconds (a board asks for every
criterion at once; the answer says when its evidence was read). Who sees what: council
callers see every status; a partner agency (person or system) sees the statuses of the
criteria and recommendations its agency takes part in (a linked action leads or
contributes, or a linked audit programme). Reading needs ``board:read``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.board import access
from services.board.reader import Reader
from services.board.working import rule
from services.board.working.evidence import (
    Snapshot,
    agencies_of,
    criterion_evidence,
    gather,
    recommendation_evidence,
)
from services.board.working.schemas import (
    HREFS,
    EvidenceLink,
    ReasonRead,
    RuleRead,
    StatusList,
    StatusRead,
)
from shared import clock, rights
from shared.identity import Caller
from shared.pagination import PageParams, SortKey, sort_items
from shared.problems import NotFound


@dataclass
class Cached:
    snapshot: Snapshot
    read_at: datetime
    monotonic: float


class EvidenceCache:
    """One snapshot at a time, refreshed after ``ttl_s``; concurrent askers share a read."""

    def __init__(self, reader: Reader, authority: str, ttl_s: float) -> None:
        self.reader = reader
        self.authority = authority
        self.ttl_s = ttl_s
        self._cached: Cached | None = None
        self._lock = asyncio.Lock()

    async def get(self, *, fresh: bool = False) -> Cached:
        async with self._lock:
            now = time.monotonic()
            if fresh or self._cached is None or now - self._cached.monotonic > self.ttl_s:
                snap = await gather(self.reader, self.authority)
                self._cached = Cached(snap, clock.utc_now(), time.monotonic())
            return self._cached


def sees_all(caller: Caller) -> bool:
    return caller.agency == rights.ADMIN_AGENCY


def to_read(
    subject: str,
    ident: int,
    plan_id: int,
    code: str,
    text: str,
    j: rule.Judgement,
    agencies: set[str],
) -> StatusRead:
    return StatusRead(
        subject=subject,
        id=ident,
        plan_id=plan_id,
        code=code,
        text=text,
        status=j.status,
        rule_version=j.rule_version,
        reasons=[
            ReasonRead(
                stream=r.stream,
                verdict=r.verdict,
                text=r.text,
                evidence=[
                    EvidenceLink(kind=e.kind, id=e.id, href=HREFS[e.kind].format(e.id))
                    for e in r.evidence
                ],
            )
            for r in j.reasons
        ],
        declared_rag=j.declared_rag,
        disagrees=j.disagrees,
        counts=j.counts,
        agencies=sorted(agencies),
    )


def criterion_statuses(snap: Snapshot) -> list[StatusRead]:
    found = []
    for c in sorted(snap.criteria, key=lambda c: (c["plan_id"], c["code"], c["criterion_id"])):
        ev = criterion_evidence(snap, c)
        found.append(
            to_read(
                "criterion",
                c["criterion_id"],
                c["plan_id"],
                c["code"],
                c["text"],
                rule.judge(ev),
                agencies_of(ev, snap),
            )
        )
    return found


def recommendation_statuses(snap: Snapshot) -> list[StatusRead]:
    found = []
    for r in sorted(snap.recommendations, key=lambda r: (r["plan_id"], r["source"], r["number"])):
        ev = recommendation_evidence(snap, r)
        found.append(
            to_read(
                "recommendation",
                r["recommendation_id"],
                r["plan_id"],
                f"{r['source']} {r['number']}",
                r["text"],
                rule.judge(ev),
                agencies_of(ev, snap),
            )
        )
    return found


def visible(caller: Caller, items: list[StatusRead]) -> list[StatusRead]:
    if sees_all(caller):
        return items
    return [s for s in items if caller.agency in s.agencies]


def _listing(cached: Cached, items: list[StatusRead], page: PageParams) -> StatusList:
    counts = {s: 0 for s in rule.STATUSES}
    for s in items:
        counts[s.status] += 1
    return StatusList(
        items=items[page.offset : page.offset + page.limit],
        total=len(items),
        limit=page.limit,
        offset=page.offset,
        rule_version=rule.RULE_VERSION,
        evidence_read_at=cached.read_at,
        by_status=counts,
    )


#: ``?sort=`` of the status lists: field → the value it sorts by (ties by the id); a
#: recommendation's code sorts by source, then number as a number (ofsted 2 before ofsted 10)
CRITERION_SORT: dict[str, Callable[[StatusRead], object]] = {
    "plan_id": lambda s: s.plan_id,
    "code": lambda s: s.code,
    "status": lambda s: rule.STATUSES.index(s.status),
    "declared_rag": lambda s: s.declared_rag,
    "disagrees": lambda s: s.disagrees,
}
RECOMMENDATION_SORT: dict[str, Callable[[StatusRead], object]] = {
    **CRITERION_SORT,
    "code": lambda s: (s.code.split(" ")[0], int(s.code.split(" ")[-1])),
}
STATUS_SORT_DEFAULT = "plan_id,code"


async def _statuses(
    cache: EvidenceCache,
    caller: Caller,
    page: PageParams,
    compute: Callable[[Snapshot], list[StatusRead]],
    plan_id: int | None,
    status: str | None,
    sort: list[SortKey],
    fields: dict[str, Callable[[StatusRead], object]],
) -> StatusList:
    """One page of the statuses ``compute`` makes, those the caller sees, filtered, sorted."""
    access.require_read(caller)
    cached = await cache.get()
    items = [
        s
        for s in visible(caller, compute(cached.snapshot))
        if (plan_id is None or s.plan_id == plan_id) and (status is None or s.status == status)
    ]
    return _listing(cached, sort_items(items, sort, fields, lambda s: s.id), page)


async def list_criteria(
    cache: EvidenceCache,
    caller: Caller,
    page: PageParams,
    *,
    plan_id: int | None,
    status: str | None,
    sort: list[SortKey],
) -> StatusList:
    return await _statuses(
        cache, caller, page, criterion_statuses, plan_id, status, sort, CRITERION_SORT
    )


async def one_criterion(cache: EvidenceCache, caller: Caller, criterion_id: int) -> StatusRead:
    access.require_read(caller)
    cached = await cache.get()
    for s in visible(caller, criterion_statuses(cached.snapshot)):
        if s.id == criterion_id:
            return s
    raise NotFound("no such success criterion")


async def list_recommendations(
    cache: EvidenceCache,
    caller: Caller,
    page: PageParams,
    *,
    plan_id: int | None,
    status: str | None,
    sort: list[SortKey],
) -> StatusList:
    return await _statuses(
        cache, caller, page, recommendation_statuses, plan_id, status, sort, RECOMMENDATION_SORT
    )


def rule_text(caller: Caller) -> RuleRead:
    access.require_read(caller)
    return RuleRead(rule_version=rule.RULE_VERSION, text=(rule.__doc__ or "").strip())
