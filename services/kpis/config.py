"""Settings of the kpis service (environment prefix ``KPIS_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.kpis.imports.config import ImportFields, ImportSettings
from shared.relay import RelaySettings

#: The development key wrapping webhook secrets; refused outside local and test.
DEV_WEBHOOK_KEY = "dev-only-webhook-key-change-me"


class KpisSettings(RelaySettings, ImportFields):
    """The service's one settings object; the imports' variables come from ``ImportFields``."""

    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore", frozen=True)

    service_name: str = "kpis"
    port: int = 8002
    release_signing_key: SecretStr | None = Field(
        None,
        description="PEM private key (EC P-256) signing release manifests; in profile "
        "local/test an ephemeral key is generated when unset",
    )

    webhook_key: SecretStr | None = Field(
        None,
        description="wraps partner webhook secrets at rest (any random string of 32+ "
        "characters; secret); unset: webhooks are off (a development key in local/test)",
    )
    webhook_interval_s: float = Field(
        5.0, ge=0, description="how often the webhook dispatcher looks for new events; 0 = never"
    )
    webhook_attempts: int = Field(3, ge=1, le=10, description="attempts per webhook delivery")
    webhook_wait_s: float = Field(
        1.0, ge=0, description="first wait between attempts (doubles each time)"
    )
    webhook_timeout_s: float = Field(5.0, gt=0, description="timeout of one webhook POST")

    @model_validator(mode="after")
    def _signing_key_outside_dev(self) -> KpisSettings:
        if not self.relaxed and self.release_signing_key is None:
            raise ValueError(f"profile {self.profile!r} needs KPIS_RELEASE_SIGNING_KEY")
        key = self.webhook_key.get_secret_value() if self.webhook_key else None
        if not self.relaxed and key is not None and (key == DEV_WEBHOOK_KEY or len(key) < 32):
            raise ValueError(f"profile {self.profile!r} refuses this KPIS_WEBHOOK_KEY")
        return self

    def webhook_box_key(self) -> str | None:
        """The key wrapping webhook secrets; ``None``: webhooks are off."""
        if self.webhook_key is not None:
            return self.webhook_key.get_secret_value()
        return DEV_WEBHOOK_KEY if self.relaxed else None

    def secret_fields(self) -> dict[str, str]:
        """The pseudonymisation key is checked (placeholder, length) when the imports' part
        is built at start-up (``import_settings``), not here: the seed needs no key."""
        found = super().secret_fields()
        found.pop("pseudonymisation_key", None)
        return found

    def import_settings(self) -> ImportSettings:
        """The imports' part of these settings (its pseudonymisation key checked here)."""
        fields = {name: getattr(self, name) for name in ImportFields.model_fields}
        return ImportSettings(profile=self.profile, **fields)
