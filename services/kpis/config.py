"""Settings of the kpis service (environment prefix ``KPIS_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class KpisSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore", frozen=True)

    service_name: str = "kpis"
    port: int = 8002
