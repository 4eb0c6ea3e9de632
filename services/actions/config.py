"""Settings of the actions service (environment prefix ``ACTIONS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.notify import NotificationSettings
from shared.relay import RelaySettings


class ActionsSettings(RelaySettings, NotificationSettings):
    model_config = SettingsConfigDict(env_prefix="ACTIONS_", extra="ignore", frozen=True)

    service_name: str = "actions"
    port: int = 8001
    reminders_interval_s: int = Field(
        3600, ge=0, description="how often the running service collects reminders; 0 = never"
    )
    reminders_due_within_days: int = Field(
        14, ge=0, le=365, description="remind owners of actions due within this many days"
    )
    reminders_stale_after_days: int = Field(
        14, ge=0, le=365, description="...and not updated for this many days (or overdue)"
    )
