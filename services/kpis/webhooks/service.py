"""Partner webhooks of this service's events: subscribe (secret shown once), list, stop,
read the delivery log; and the dispatcher's round (``dispatch_once``).

Decision (issue 18): webhooks live in the service that owns the events. The events are in
its own outbox, its subscriptions and delivery log in its own schema, the dispatcher a
small loop of its own: nothing crosses a service boundary and no service imports another
(the gateway only routes ``/v1/webhooks`` here). Another service offering webhooks does the
same with ``shared.webhooks``. A delivery is a notice — event id and type, the entity and
when — never the event's payload: the partner reads the rest through the API, with its own
rights. Import events go only to subscribers of the import's agency.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential

from services.kpis.config import KpisSettings
from services.kpis.webhooks import repository
from services.kpis.webhooks.models import WebhookDelivery, WebhookSubscription
from services.kpis.webhooks.schemas import WebhookCreate, WebhookEvent
from shared.clock import utc_now
from shared.identity import Caller
from shared.logs import get_logger
from shared.pagination import PageParams, SortKey
from shared.problems import NotFound, ServiceUnavailable, invalid
from shared.webhooks import SecretBox, TargetRefused, check_target, headers_for, new_secret

log = get_logger(__name__)

EVENTS: tuple[str, ...] = WebhookEvent.__args__  # type: ignore[attr-defined]
#: events whose entity belongs to an agency: sent only to that agency's subscribers
AGENCY_EVENTS = frozenset({"import.succeeded", "import.rejected", "import.failed"})
BATCH = 100


def _box(settings: KpisSettings) -> SecretBox:
    key = settings.webhook_box_key()
    if key is None:
        raise ServiceUnavailable("webhooks are not configured here (KPIS_WEBHOOK_KEY)")
    return SecretBox(key)


async def subscribe(
    session: AsyncSession, caller: Caller, body: WebhookCreate, settings: KpisSettings
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (returned this once; kept wrapped)."""
    box = _box(settings)
    try:
        await asyncio.to_thread(check_target, body.url, settings.profile)
    except TargetRefused as exc:
        raise invalid("url", str(exc), "webhook_target") from None
    subscription_id = uuid.uuid4()
    secret = new_secret()
    row = WebhookSubscription(
        subscription_id=subscription_id,
        subscriber=caller.subject[:200],
        agency=caller.agency,
        url=body.url,
        event_types=sorted(set(body.events)),
        secret_wrapped=box.wrap(secret, str(subscription_id)),
    )
    row = await repository.add(session, row)
    log.info("webhook.subscribed", subscription_id=str(subscription_id))
    return row, secret


SUBSCRIPTION_SORT = tuple(repository.SUBSCRIPTION_SORT)
DELIVERY_SORT = tuple(repository.DELIVERY_SORT)


async def mine(
    session: AsyncSession, caller: Caller, sort: list[SortKey], page: PageParams
) -> tuple[list[WebhookSubscription], int]:
    """One page of the caller's subscriptions (oldest first by default), and how many."""
    return await repository.of_subscriber(session, caller.subject[:200], sort, page)


async def _own(
    session: AsyncSession, caller: Caller, subscription_id: uuid.UUID
) -> WebhookSubscription:
    row = await repository.get(session, subscription_id, caller.subject[:200])
    if row is None:
        raise NotFound("no such webhook subscription")
    return row


async def stop(session: AsyncSession, caller: Caller, subscription_id: uuid.UUID) -> None:
    row = await _own(session, caller, subscription_id)
    await repository.deactivate(session, row)
    log.info("webhook.stopped", subscription_id=str(subscription_id))


async def deliveries_of(
    session: AsyncSession,
    caller: Caller,
    subscription_id: uuid.UUID,
    sort: list[SortKey],
    page: PageParams,
) -> tuple[list[WebhookDelivery], int]:
    """One page of a subscription's delivery log (newest first by default), and how long."""
    row = await _own(session, caller, subscription_id)
    return await repository.deliveries(session, row.subscription_id, sort, page)


# -- the dispatcher ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    attempts: int
    outcome: str
    status_code: int | None = None
    error: str | None = None


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def notice(event: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": str(event["event_id"]),
            "type": event["event_type"],
            "entity": {"type": event["entity_type"], "id": event["entity_id"]},
            "occurred_at": event["occurred_at"].isoformat(),
        },
        separators=(",", ":"),
    ).encode()


async def _post(
    http: aiohttp.ClientSession,
    row: WebhookSubscription,
    secret: str,
    event: dict[str, Any],
    settings: KpisSettings,
) -> Sent:
    try:
        await asyncio.to_thread(check_target, row.url, settings.profile)
    except TargetRefused:
        return Sent(0, "refused_target")
    body = notice(event)
    attempts, status = 0, None
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(settings.webhook_attempts),
            wait=wait_exponential(multiplier=settings.webhook_wait_s, max=60),
        ):
            with attempt:
                attempts += 1
                stamp = int(utc_now().timestamp())
                headers = headers_for(secret, str(event["event_id"]), stamp, body)
                async with http.post(
                    row.url, data=body, headers=headers, allow_redirects=False
                ) as response:
                    status = response.status
                    if not 200 <= status < 300:
                        raise _Refused(status)
    except RetryError as exc:
        error = exc.last_attempt.exception()
        return Sent(attempts, "failed", status, type(error).__name__ if error else None)
    return Sent(attempts, "delivered", status)


async def dispatch_once(
    maker: async_sessionmaker[AsyncSession], settings: KpisSettings, http: aiohttp.ClientSession
) -> int | None:
    """One round: the events after the cursor sent to their subscribers, each delivery
    recorded, the cursor moved. ``None`` when another replica holds the cursor."""
    key = settings.webhook_box_key()
    if key is None:
        return None
    box = SecretBox(key)
    sent = 0
    async with maker() as session, session.begin():
        cursor = await repository.lock_cursor(session)
        if cursor is None:
            return None
        horizon, events = await repository.events_after(
            session, cursor.txid, cursor.seq, EVENTS, BATCH
        )
        for event in events:
            agency = (event.get("actor") or {}).get("agency")
            for row in await repository.active_for(session, event["event_type"]):
                if event["event_type"] in AGENCY_EVENTS and row.agency != agency:
                    continue
                secret = box.unwrap(row.secret_wrapped, str(row.subscription_id))
                result = await _post(http, row, secret, event, settings)
                await repository.record(
                    session,
                    WebhookDelivery(
                        subscription_id=row.subscription_id,
                        event_id=event["event_id"],
                        event_type=event["event_type"],
                        attempts=result.attempts,
                        outcome=result.outcome,
                        status_code=result.status_code,
                        error=result.error,
                    ),
                )
                sent += 1
        # on past what was sent; with nothing left below the horizon, to the horizon itself
        # (every row below it is final), never backwards
        last = (int(events[-1]["txid"]), int(events[-1]["seq"])) if events else (horizon, 0)
        cursor.txid, cursor.seq = max((cursor.txid, cursor.seq), last)
    if sent:
        log.info("webhooks.dispatched", deliveries=sent)
    return sent
