"""Approval and publication of an indicator's values for a period.

draft → submitted → approved (published, locked) → reopened (with a reason) → submitted → …
Submitting is for the source agency; approving is for an approver of the source agency who
neither submitted the period nor recorded any of its current values (four eyes). Approving
publishes: a signed release lists every published value's digest. Every transition is kept
(value_transition) and sent to the trail through the outbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.periods import Period, PeriodError
from services.kpis.releases.service import create_release
from services.kpis.releases.signing import ReleaseSigner
from services.kpis.values import repository as repo
from services.kpis.values.models import ValuePeriod
from services.kpis.values.schemas import TransitionCreate
from shared.clock import utc_now
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import Conflict, Forbidden, NotFound, invalid

log = get_logger(__name__)
ALLOWED = {"submit": ("draft", "reopened"), "approve": ("submitted",), "reopen": ("approved",)}
TARGET = {"submit": "submitted", "approve": "approved", "reopen": "reopened"}


def parse_period(text: str, field: str = "period", where: str = "query") -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise invalid(field, str(exc), "period", where, detail="invalid period") from exc


def period_etag(row: ValuePeriod) -> str:
    entity = f"{row.indicator_id}-{row.period_type}-{row.period_start}"
    return etag_for("period", entity, row.version)


async def load_period(
    session: AsyncSession, caller: Caller, code: str, period_text: str, *, lock: bool = False
) -> tuple[ValuePeriod, str]:
    indicator = await repo.current_indicator(session, code)
    period = parse_period(period_text)
    if indicator is None:
        raise NotFound("no such indicator")
    row = await repo.period_row(session, indicator.indicator_id, period, lock=lock)
    if row is None:
        raise NotFound("no values for this indicator and period")
    if row.state != "approved" and not access.sees_unpublished(caller, indicator.source_agency):
        raise NotFound("no values for this indicator and period")
    return row, indicator.source_agency


async def transition(
    session: AsyncSession,
    caller: Caller,
    body: TransitionCreate,
    if_match: str | None,
    signer: ReleaseSigner,
) -> ValuePeriod:
    indicator = await repo.current_indicator(session, body.indicator)
    if indicator is None:
        raise NotFound("no such indicator")
    period = parse_period(body.period, where="body")
    row = await repo.period_row(session, indicator.indicator_id, period, lock=True)
    if row is None or (
        row.state != "approved" and not access.sees_unpublished(caller, indicator.source_agency)
    ):
        raise NotFound("no values for this indicator and period")
    agency = indicator.source_agency
    who = access.actor_name(caller)
    if body.action == "submit" and not access.may_submit_for(caller, agency):
        raise Forbidden(f"only {agency} submits {indicator.code}")
    if body.action in ("approve", "reopen") and not access.is_approver_of(caller, agency):
        raise Forbidden(f"only an approver of {agency} may {body.action} {indicator.code}")
    check_if_match(if_match, period_etag(row))
    if row.state not in ALLOWED[body.action]:
        raise Conflict(f"cannot {body.action} a period that is {row.state}")
    if body.action == "reopen" and not body.reason:
        raise invalid("reason", "required", "missing", detail="a reopen needs a reason")
    if body.action == "submit" and await repo.count_current(session, row.indicator_id, period) == 0:
        raise Conflict("there are no values to submit")
    if body.action == "approve":
        creators = await repo.current_creators(session, row.indicator_id, period)
        if who == row.submitted_by or who in creators:
            raise Forbidden("four eyes: you may not approve values you submitted or recorded")
    before = row.state
    now = utc_now()
    row.state = TARGET[body.action]
    row.version += 1
    if body.action == "submit":
        row.submitted_by, row.submitted_at = who, now
        row.reopen_reason = None
        await repo.set_values_state(session, row.indicator_id, period, "submitted")
    elif body.action == "approve":
        row.approved_by, row.approved_at = who, now
        await repo.set_values_state(
            session, row.indicator_id, period, "approved", approved_by=who, approved_at=now
        )
        release = await create_release(
            session, signer, indicator, period, approved_by=who, approved_at=now
        )
        row.release_id = release.release_id
    else:
        row.reopen_reason = body.reason
        await repo.set_values_state(session, row.indicator_id, period, "reopened")
    await repo.add_transition(session, row, before, row.state, who, body.reason)
    await emit(
        session,
        event_type=f"indicator_period.{TARGET[body.action]}",
        entity_type="indicator_period",
        entity_id=f"{indicator.code}:{period.label}",
        caller=caller,
        payload={
            "indicator": indicator.code,
            "definition_version": indicator.version,
            "period": period.label,
            "from": before,
            "to": row.state,
            "reason": body.reason,
            "release_id": str(row.release_id) if body.action == "approve" else None,
        },
    )
    await session.flush()
    log.info(
        "indicator_period.transition", indicator=indicator.code, period=period.label, to=row.state
    )
    return row
