"""Settings of the imports: part of the kpis service's one settings object.

``ImportFields`` are read from the environment (prefix ``KPIS_``) by ``KpisSettings``, which
inherits them; ``ImportSettings`` is the part the imports are given, built from it by
``KpisSettings.import_settings()`` (or directly in tests). Neither reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from shared.config import RELAXED_PROFILES, Profile, is_placeholder

#: The service's temporary folder inside ``upload_dir`` unless ``temp_dir`` says otherwise.
TEMP_FOLDER = ".tmp"

#: The development key. Refused outside the ``local`` and ``test`` profiles.
DEV_KEY = "dev-only-pseudonymisation-key-change-me"


class ImportFields(BaseModel):
    """The imports' variables (``KPIS_<NAME>``), read once with the rest of ``KpisSettings``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    pseudonymisation_key: SecretStr = Field(
        SecretStr(DEV_KEY),
        description="HMAC key replacing child identifiers; never stored in the database",
    )
    upload_dir: Path = Field(
        Path(".data/uploads"), description="where uploaded files are streamed to disk"
    )
    temp_dir: Path | None = Field(
        None,
        description="the service's own temporary folder: request bodies over 1 MB are "
        "spooled there while they are read (pods run with a read-only root filesystem); "
        "default: .tmp in upload_dir",
    )
    keep_raw_uploads: bool = Field(
        False, description="keep the uploaded file after the import ends (default: delete)"
    )
    abandoned_after_s: int = Field(
        3600,
        ge=60,
        description="working folders untouched this long are an interrupted import's: "
        "deleted when the service starts (raw uploads kept by setting stay)",
    )
    max_upload_bytes: int = Field(2_000_000_000, ge=1, description="largest accepted upload")
    max_unpacked_bytes: int = Field(
        200_000_000,
        ge=1,
        description="largest unpacked size of an uploaded workbook (or zip), all its parts "
        "together: a larger one is refused before it is parsed",
    )
    max_compression_ratio: float = Field(
        100.0,
        ge=1,
        description="largest unpacked/packed size ratio of a workbook part over 1 MiB "
        "(a decompression bomb is refused before it is parsed)",
    )
    upload_chunk_bytes: int = Field(1 << 20, ge=4096, description="upload write chunk")
    read_chunk_rows: int = Field(50_000, ge=100, description="workbook rows parsed per chunk")
    read_chunk_bytes: int = Field(8 << 20, ge=4096, description="CSV bytes parsed per chunk")
    authority_code: str = Field("LA", max_length=60, description="org unit code of the LA")
    progress_interval_s: float = Field(
        1.0, gt=0, le=60, description="a running import writes its rows read this often"
    )
    events_poll_s: float = Field(
        0.5, gt=0, le=30, description="an event stream looks at its import this often"
    )
    events_heartbeat_s: float = Field(
        5.0,
        gt=0,
        le=60,
        description="a quiet event stream sends a comment this often (keep it below the "
        "gateway's GATEWAY_UPSTREAM_TIMEOUT_S and any proxy's idle timeout)",
    )
    events_max_s: float = Field(
        3600.0, gt=0, description="an event stream closes after this long (clients reconnect)"
    )


class ImportSettings(ImportFields):
    """What the imports are given: their variables and the service's profile, the key
    checked when it is built (``create_app``), so a placeholder fails at start-up."""

    profile: Profile = Field("local", description="local, test, staging or production")

    @property
    def own_temp_dir(self) -> Path:
        return self.temp_dir if self.temp_dir is not None else self.upload_dir / TEMP_FOLDER

    @model_validator(mode="after")
    def _refuse_placeholder_key(self) -> ImportSettings:
        if self.profile in RELAXED_PROFILES:
            return self
        if is_placeholder(self.pseudonymisation_key.get_secret_value()):
            raise ValueError(
                f"profile {self.profile!r} refuses a placeholder or empty pseudonymisation_key"
            )
        if len(self.pseudonymisation_key.get_secret_value()) < 32:
            raise ValueError("pseudonymisation_key must be at least 32 characters")
        return self
