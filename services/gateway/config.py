"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    port: int = 8000
    actions_url: str = Field("http://127.0.0.1:8001", description="base URL of the actions service")
    kpis_url: str = Field("http://127.0.0.1:8002", description="base URL of the kpis service")
    audit_url: str = Field("http://127.0.0.1:8003", description="base URL of the audit service")
    forwarding_enabled: bool = Field(
        False,
        description="forward /v1/... to the owning service (off until authentication is set up)",
    )
    upstream_timeout_s: float = Field(10.0, gt=0, description="read timeout per upstream call")
    upstream_connect_timeout_s: float = Field(1.0, gt=0, description="connect timeout")
    health_timeout_s: float = Field(1.0, gt=0, description="timeout of each health probe")

    def upstreams(self) -> dict[str, str]:
        return {"actions": self.actions_url, "kpis": self.kpis_url, "audit": self.audit_url}
