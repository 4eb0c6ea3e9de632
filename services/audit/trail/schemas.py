"""Trail shapes: the batch relays post, events read back, verification and checkpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from services.audit.params import Input


class EventCreate(Input):
    """One outbox row as a relay ships it."""

    event_id: uuid.UUID
    event_type: str = Field(min_length=1, max_length=100)
    entity_type: str = Field(min_length=1, max_length=60)
    entity_id: str = Field(min_length=1, max_length=120)
    occurred_at: AwareDatetime
    actor: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = Field(None, max_length=64)
    purpose: str | None = Field(None, max_length=500)
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _storable(cls, value: datetime) -> datetime:
        """A time PostgreSQL keeps as itself: the driver writes the first and last instants
        Python can hold as ``-infinity``/``infinity``, which no longer hash to what was sent."""
        try:
            at = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("occurred_at is outside the times the trail can keep") from None
        if at.replace(tzinfo=None) in (datetime.min, datetime.max):
            raise ValueError("occurred_at is outside the times the trail can keep")
        return value


class EventBatch(Input):
    events: list[EventCreate] = Field(min_length=1, max_length=5000)


class BatchStored(BaseModel):
    """Every event id of the batch now in the trail (new or already there)."""

    stored: list[uuid.UUID]
    new: int = Field(description="how many were appended by this call")
    head_seq: int


class Who(BaseModel):
    subject: str | None = None
    agency: str | None = None
    client_id: str | None = None
    kind: str | None = None
    roles: list[str] = []
    scopes: list[str] = []


class TrailEventRead(BaseModel):
    seq: int
    event_id: uuid.UUID
    source: str = Field(description="the service whose outbox the event came from")
    event_type: str
    entity_type: str
    entity_id: str
    occurred_at: datetime
    recorded_at: datetime
    who: Who
    purpose: str | None
    request_id: str | None
    payload: dict[str, Any] = Field(description="summary or before/after digest of the change")
    hash: str


class BrokenLink(BaseModel):
    seq: int
    reason: str
    event_id: str | None = None
    stored_hash: str | None = None
    expected_hash: str | None = None


class UnprotectedTail(BaseModel):
    """Events after the latest checkpoint: a superuser could still rewrite or cut these."""

    after_seq: int = Field(description="the latest checkpoint's seq (anchored, when anchored)")
    events: int = Field(description="events after it")
    oldest_recorded_at: datetime | None = Field(description="when the first of them was recorded")
    age_s: float | None = Field(description="how long that first one has been unprotected")
    anchored: bool = Field(description="measured against the anchor outside the database")


class Verification(BaseModel):
    valid: bool
    events_checked: int
    head_seq: int
    head_hash: str
    checkpoints_checked: int
    checkpoints_skipped: int = Field(0, description="signed by a key this service does not know")
    anchored_checkpoints: int = Field(
        0, description="checkpoints read from the anchor outside the database"
    )
    first_broken: BrokenLink | None = None
    unprotected_tail: UnprotectedTail | None = None


class CheckpointRead(Input):
    """A signed checkpoint; export it and keep it elsewhere."""

    seq: int = Field(ge=0)
    hash: str = Field(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")
    created_at: str = Field(max_length=40)
    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=200)


class LatestCheckpoint(BaseModel):
    """The newest signed checkpoint, or none before the first is made."""

    checkpoint: CheckpointRead | None


class PublicKeyRead(BaseModel):
    key_id: str
    algorithm: str = "Ed25519"
    public_key_pem: str
