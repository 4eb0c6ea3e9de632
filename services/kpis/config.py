"""Settings of the kpis service (environment prefix ``KPIS_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.relay import RelaySettings


class KpisSettings(RelaySettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore", frozen=True)

    service_name: str = "kpis"
    port: int = 8002
    release_signing_key: SecretStr | None = Field(
        None,
        description="PEM private key (EC P-256) signing release manifests; in profile "
        "local/test an ephemeral key is generated when unset",
    )

    @model_validator(mode="after")
    def _signing_key_outside_dev(self) -> KpisSettings:
        if not self.relaxed and self.release_signing_key is None:
            raise ValueError(f"profile {self.profile!r} needs KPIS_RELEASE_SIGNING_KEY")
        return self
