"""Settings of the actions service (environment prefix ``ACTIONS_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class ActionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACTIONS_", extra="ignore", frozen=True)

    service_name: str = "actions"
    port: int = 8001
