"""Authorization codes and the sign-ins waiting on an agency's provider."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.gateway.db import Base


class AuthorizationCode(Base):
    """A code sent to a browser client's redirect URI: redeemable once, shortly, by the
    holder of the PKCE verifier. Only its SHA-256 is kept."""

    __tablename__ = "authorization_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("app_user.id"))
    subject: Mapped[str] = mapped_column(String(300))
    agency: Mapped[str] = mapped_column(String(20))
    roles: Mapped[list[str]] = mapped_column(JSONB)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the session its redemption began: ended if the code comes back
    family_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (Index("ix_authorization_code_expires_at", "expires_at"),)


class FederatedRequest(Base):
    """A sign-in sent to an agency's provider: the browser client's request, and the state,
    nonce and PKCE verifier of the gateway's own request to the provider."""

    __tablename__ = "federated_request"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    client_state: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str] = mapped_column(String(64))
    verifier: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_federated_request_expires_at", "expires_at"),)
