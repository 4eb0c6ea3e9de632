"""Access-token signing keys and the emergency deny list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.gateway.db import Base


class SigningKey(Base):
    """A key is published from ``created_at``, signs from ``activate_at`` until ``retire_at``,
    and stays in the key set until ``expire_at`` (past the longest token lifetime). The private
    key is stored wrapped by ``GATEWAY_KEY_WRAPPING_KEY`` (:mod:`.wrapping`), never plain."""

    __tablename__ = "signing_key"
    __table_args__ = (CheckConstraint("private_key_wrapped LIKE 'wrapped:v1:%'", name="wrapped"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_wrapped: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activate_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DenyEntry(Base):
    """Emergency deny list: a client id, user id (``sub``) or token id (``jti``)."""

    __tablename__ = "deny_entry"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("kind", "value", name="uq_deny_entry_kind_value"),)
