"""Settings of the audit service (environment prefix ``AUDIT_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", frozen=True)

    service_name: str = "audit"
    port: int = 8003
    checkpoint_signing_key: SecretStr | None = Field(
        None,
        description="PEM Ed25519 private key signing trail checkpoints (AUDIT_CHECKPOINT_"
        "SIGNING_KEY); an ephemeral key is made in local/test when unset",
    )
    checkpoint_trusted_keys: tuple[str, ...] = Field(
        (),
        description="PEM public keys of earlier (rotated) signing keys whose checkpoints "
        "still count; checkpoints signed by unknown keys are skipped and reported",
    )
    checkpoint_every: int = Field(
        1000, ge=1, description="sign a checkpoint of the head each time it passes a multiple"
    )
    recheck_after_days: int = Field(
        90, ge=1, le=730, description="a finding's re-check falls due this long after done"
    )
    trail_ingest_max_batch: int = Field(500, ge=1, le=5000, description="events per POST")

    @model_validator(mode="after")
    def _require_signing_key(self) -> AuditSettings:
        if not self.relaxed and self.checkpoint_signing_key is None:
            raise ValueError(f"profile {self.profile!r} needs AUDIT_CHECKPOINT_SIGNING_KEY")
        return self
