"""Settings base shared by every service.

Each service subclasses :class:`ServiceSettings` with its own environment prefix
(``ACTIONS_``, ``KPIS_``, ``AUDIT_``, ``GATEWAY_``). Secrets are ``SecretStr`` and are
refused when they still hold a placeholder outside the ``local`` and ``test`` profiles.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Profile = Literal["local", "test", "staging", "production"]

#: Values a secret may hold in development only. A deployment must replace them.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "dev-only", "insecure")

RELAXED_PROFILES = frozenset({"local", "test"})


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return not value or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def url_password(url: str) -> str:
    """The password part of a database URL ('' when there is none)."""
    return urlsplit(url).password or ""


class ServiceSettings(BaseSettings):
    """What every service needs: identity, network, database, logging."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    profile: Profile = Field("local", description="local, test, staging or production")
    service_name: str = Field("service", description="name used in logs and metrics")
    host: str = Field("127.0.0.1", description="interface the service listens on")
    port: int = Field(8000, ge=1, le=65535, description="port the service listens on")
    database_url: SecretStr = Field(
        SecretStr("postgresql+asyncpg://postgres:dev-only-password@127.0.0.1:5432/platform"),
        description="SQLAlchemy URL for this service's own role (postgresql+asyncpg://...)",
    )
    db_pool_size: int = Field(10, ge=1, le=100, description="connections kept in the pool")
    db_max_overflow: int = Field(10, ge=0, le=100, description="extra connections under load")
    db_statement_timeout_ms: int = Field(15_000, ge=100, description="per-statement limit")
    db_connect_timeout_s: float = Field(3.0, gt=0, description="limit for opening a connection")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool | None = Field(None, description="JSON logs; default: all but local")
    docs_enabled: bool | None = Field(
        None, description="serve /docs and /redoc; default: every profile but production"
    )
    internal_jwt_public_key: SecretStr | None = Field(
        None,
        description="PEM public key of the gateway's internal signing key (verifies callers)",
    )
    internal_jwt_issuer: str = Field(
        "improvement-platform-gateway", description="issuer of gateway-minted internal tokens"
    )
    otlp_endpoint: str | None = Field(
        None,
        description="OpenTelemetry traces over OTLP/HTTP to this collector address (e.g. "
        "http://otel-collector:4318); none: tracing off, at no cost",
    )
    trace_sample_ratio: float = Field(
        1.0, ge=0, le=1, description="share of traces kept (the gateway decides, services follow)"
    )
    freeze_heap: bool | None = Field(
        None,
        description="after start-up, exempt the objects then alive from full garbage "
        "collections (gc.freeze), so a collection during a request or an import scans only "
        "what it made; default: all profiles but test (in-process test apps would pin each "
        "test's objects)",
    )

    @property
    def relaxed(self) -> bool:
        return self.profile in RELAXED_PROFILES

    @property
    def serves_docs(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.profile != "production"

    @property
    def heap_frozen_after_start(self) -> bool:
        return self.freeze_heap if self.freeze_heap is not None else self.profile != "test"

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.profile != "local"

    def secret_fields(self) -> dict[str, str]:
        """Every secret this settings object holds, by name, as plain text."""
        found: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                plain = value.get_secret_value()
                found[name] = url_password(plain) if name.endswith("_url") else plain
        return found

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> ServiceSettings:
        if self.relaxed:
            return self
        bad = [name for name, value in self.secret_fields().items() if is_placeholder(value)]
        if bad:
            raise ValueError(
                f"profile {self.profile!r} refuses placeholder or empty secrets: "
                + ", ".join(sorted(bad))
            )
        return self
