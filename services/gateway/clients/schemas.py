"""Machine-client inputs and outputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.policy import SCOPES


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(
        None, min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"
    )
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=2, max_length=20, pattern=r"^[a-z][a-z0-9-]*$")
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES))
    public_jwk: dict[str, Any] | None = Field(
        None, description="public key for private_key_jwt; without it a secret is issued"
    )


class ClientRead(BaseModel):
    client_id: str
    name: str
    agency: str
    scopes: list[str]
    auth_method: str
    created_at: datetime
    rotated_at: datetime | None
    disabled_at: datetime | None
    service_identity: bool = Field(
        False,
        description="a service's own outbox relay (trail:append), provisioned by the bootstrap: "
        "it cannot be rotated, disabled or changed here",
    )


class ClientWithSecret(ClientRead):
    client_secret: str | None = Field(None, description="shown once; store it now")
