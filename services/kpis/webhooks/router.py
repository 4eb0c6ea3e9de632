"""HTTP for partner webhooks: ``/v1/webhooks`` (subscribe, list, stop, delivery log)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from services.kpis.config import KpisSettings
from services.kpis.webhooks import service
from services.kpis.webhooks.models import WebhookDelivery, WebhookSubscription
from services.kpis.webhooks.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryRead,
    WebhookRead,
)
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, page_of, sort_query

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _settings(request: Request) -> KpisSettings:
    settings: KpisSettings = request.app.state.settings
    return settings


def _read(row: WebhookSubscription) -> WebhookRead:
    return WebhookRead(
        subscription_id=row.subscription_id,
        url=row.url,
        events=list(row.event_types),
        is_active=row.is_active,
        created_at=row.created_at,
    )


@router.post(
    "", status_code=201, response_model=WebhookCreated, summary="Subscribe to events by webhook"
)
async def create_webhook(
    body: WebhookCreate, request: Request, session: SessionDep, caller: CallerDep
) -> WebhookCreated:
    """Events are POSTed to `url` as a JSON notice (`id`, `type`, `entity`, `occurred_at`),
    signed: `Webhook-Signature: v1=<hex HMAC-SHA256 of "<Webhook-Timestamp>." + body>` with
    the `secret` answered here once. A failed delivery is retried; each is logged
    (`GET /v1/webhooks/{subscription_id}/deliveries`). The URL must be https and public
    outside local development.
    """
    row, secret = await service.subscribe(session, caller, body, _settings(request))
    return WebhookCreated(**_read(row).model_dump(), secret=secret)


@router.get("", response_model=Page[WebhookRead], summary="The caller's webhook subscriptions")
async def list_webhooks(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.SUBSCRIPTION_SORT, "created_at")],
) -> Page[WebhookRead]:
    """Each subscription the caller made, oldest first unless ``sort`` says otherwise (ties
    by id); its secret is never shown again."""
    rows, total = await service.mine(session, caller, sort, page)
    return page_of([_read(row) for row in rows], total, page)


@router.delete("/{subscription_id}", status_code=204, summary="Stop a webhook subscription")
async def delete_webhook(
    subscription_id: uuid.UUID, session: SessionDep, caller: CallerDep
) -> Response:
    """No more events are sent to it; its delivery log stays readable."""
    await service.stop(session, caller, subscription_id)
    return Response(status_code=204)


def _delivery(row: WebhookDelivery) -> WebhookDeliveryRead:
    return WebhookDeliveryRead.model_validate(row, from_attributes=True)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=Page[WebhookDeliveryRead],
    summary="A webhook subscription's delivery log",
)
async def list_webhook_deliveries(
    subscription_id: uuid.UUID,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.DELIVERY_SORT, "-delivery_id")],
) -> Page[WebhookDeliveryRead]:
    """Newest first unless ``sort`` says otherwise: each event sent, attempts, outcome
    (`delivered`, `failed`, `refused_target`) and the receiver's HTTP status."""
    rows, total = await service.deliveries_of(session, caller, subscription_id, sort, page)
    return page_of([_delivery(r) for r in rows], total, page)
