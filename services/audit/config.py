"""Settings of the audit service (environment prefix ``AUDIT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.notify import NotificationSettings

#: local runs' anchor file when AUDIT_ANCHOR_PATH is unset (the run command's data folder)
LOCAL_ANCHOR = Path(".data") / "trail-anchor.jsonl"


class AuditSettings(ServiceSettings, NotificationSettings):
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
    checkpoint_every_events: int = Field(
        100,
        ge=1,
        le=100_000,
        description="sign (and anchor) a checkpoint of the head each time it passes a multiple "
        "of this many events (AUDIT_CHECKPOINT_EVERY_EVENTS)",
    )
    checkpoint_every_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="at most this long after an event is recorded, a checkpoint covering it "
        "is signed and anchored (AUDIT_CHECKPOINT_EVERY_S)",
    )
    anchor_path: Path | None = Field(
        None,
        description="file outside the database to which every checkpoint is appended as a "
        "JSON line (O_APPEND) and against which verify checks the chain (AUDIT_ANCHOR_PATH); "
        "required outside local/test, under .data in local when unset; put it on another "
        "machine or an append-only store",
    )
    recheck_after_days: int = Field(
        90, ge=1, le=730, description="a finding's re-check falls due this long after done"
    )
    finding_notices_interval_s: int = Field(
        3600,
        ge=0,
        description="how often the running service sends the day's notices of overdue "
        "findings to their owners (one per owner a day; AUDIT_NOTIFY_CHANNEL: off, log, "
        "smtp, govuk_notify; log by default); 0 = never",
    )
    trail_ingest_max_batch: int = Field(500, ge=1, le=5000, description="events per POST")

    @model_validator(mode="after")
    def _require_signing_key(self) -> AuditSettings:
        if not self.relaxed and self.checkpoint_signing_key is None:
            raise ValueError(f"profile {self.profile!r} needs AUDIT_CHECKPOINT_SIGNING_KEY")
        if not self.relaxed and self.anchor_path is None:
            raise ValueError(f"profile {self.profile!r} needs AUDIT_ANCHOR_PATH")
        return self

    @property
    def anchor_file(self) -> Path | None:
        """Where checkpoints are anchored: the setting, else ``.data`` in local, else none."""
        if self.anchor_path is None and self.profile == "local":
            return LOCAL_ANCHOR
        return self.anchor_path
