"""Settings of the audit service (environment prefix ``AUDIT_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", frozen=True)

    service_name: str = "audit"
    port: int = 8003
