"""Settings of the board service (environment prefix ``BOARD_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.relay import RelaySettings

#: the board's own client for reading the other services through the gateway
READER_CLIENT_ID = "board-reader"
#: what that client may read (read scopes only; it never writes to another service)
READER_SCOPES = ("actions:read", "kpis:read", "audit:read", "trail:checkpoint")


class BoardSettings(RelaySettings):
    model_config = SettingsConfigDict(env_prefix="BOARD_", extra="ignore", frozen=True)

    service_name: str = "board"
    port: int = 8004
    reader_client_id: str = Field(
        READER_CLIENT_ID,
        description="OAuth client the board reads the other services with, through the "
        "gateway (read scopes only): board-reader",
    )
    reader_client_secret: SecretStr = Field(
        SecretStr("dev-only-board-reader-secret"),
        description="the reader client's secret (BOARD_READER_CLIENT_SECRET); required "
        "outside local/test",
    )
    authority_code: str = Field(
        "WIRRAL",
        description="the authority's org unit whose indicator series the statuses read",
    )
    evidence_ttl_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="how long evidence read through the gateway is reused for statuses",
    )
    pack_signing_key: SecretStr | None = Field(
        None,
        description="PEM private key (EC P-256) signing board packs (BOARD_PACK_SIGNING_KEY); "
        "in profile local/test an ephemeral key is made when unset; elsewhere a pack cannot "
        "be made without it (503)",
    )
