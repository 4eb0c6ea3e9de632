"""The KPI service's OpenAPI document is valid and names every resource of the issue."""

from __future__ import annotations

from openapi_spec_validator import validate

from services.kpis.config import KpisSettings
from services.kpis.main import create_app
from shared.exports import XLSX_TYPE


def test_openapi_is_valid_and_complete() -> None:
    spec = create_app(KpisSettings(profile="test")).openapi()
    validate(spec)  # type: ignore[arg-type]
    for path in (
        "/v1/indicators",
        "/v1/org-units",
        "/v1/submissions",
        "/v1/values",
        "/v1/series",
        "/v1/dashboard",
        "/v1/releases/keys",
        "/v1/targets",
        "/v1/benchmarks",
    ):
        assert path in spec["paths"]


def test_release_signing_key_is_required_outside_local_and_test() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="KPIS_RELEASE_SIGNING_KEY"):
        KpisSettings(
            profile="production",
            database_url="postgresql+asyncpg://k:s3cret@h/db",
            relay_client_secret="a-real-relay-secret-value",
        )


def test_csv_export_and_metrics_are_documented_with_the_media_types_they_send() -> None:
    """Found by the API fuzzer: both were documented as application/json."""
    spec = create_app(KpisSettings(profile="test")).openapi()
    export = spec["paths"]["/v1/values/export.csv"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", XLSX_TYPE}
    metrics = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert set(metrics) == {"text/plain"}
