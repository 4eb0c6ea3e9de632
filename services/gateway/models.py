"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.gateway.agencies.models import Agency
from services.gateway.clients.models import Client, UsedAssertion
from services.gateway.db import Base, outbox
from services.gateway.keys.models import DenyEntry, SigningKey
from services.gateway.signin.models import AuthorizationCode, FederatedRequest
from services.gateway.users.models import RefreshToken, User

metadata = Base.metadata

__all__ = [
    "Agency",
    "AuthorizationCode",
    "Client",
    "DenyEntry",
    "FederatedRequest",
    "RefreshToken",
    "SigningKey",
    "UsedAssertion",
    "User",
    "metadata",
    "outbox",
]
