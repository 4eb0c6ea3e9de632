"""Shapes of the webhooks API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: the events a partner may subscribe to (this service's own)
WebhookEvent = Literal[
    "import.succeeded", "import.rejected", "import.failed", "indicator_period.approved"
]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)] = Field(
        description="where events are POSTed (https outside local/test; public addresses only)"
    )
    events: list[WebhookEvent] = Field(
        min_length=1, max_length=10, description="the events to receive"
    )


class WebhookRead(BaseModel):
    subscription_id: uuid.UUID
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="the signing secret: shown this once only (HMAC-SHA256 of "
        "'<Webhook-Timestamp>.' + body, sent as Webhook-Signature: v1=<hex>)"
    )


class WebhookDeliveryRead(BaseModel):
    event_id: uuid.UUID
    event_type: str
    attempts: int
    outcome: Literal["delivered", "failed", "refused_target"]
    status_code: int | None
    created_at: datetime
