import pytest
from pydantic import SecretStr, ValidationError

from services.actions.config import ActionsSettings
from services.gateway.config import GatewaySettings
from shared.config import ServiceSettings

REAL_URL = "postgresql+asyncpg://actions_svc:Xq9-long-real-secret@db/platform"


def test_each_service_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONS_PORT", "9101")
    monkeypatch.setenv("KPIS_PORT", "9102")
    assert ActionsSettings().port == 9101
    assert GatewaySettings().port == 8000


@pytest.mark.parametrize("profile", ["staging", "production"])
def test_placeholder_secrets_are_refused_outside_local_and_test(profile: str) -> None:
    with pytest.raises(ValidationError) as err:
        ActionsSettings(profile=profile)  # default URL carries a dev-only password
    assert "database_url" in str(err.value)
    assert "dev-only-password" not in str(err.value)


def test_empty_password_is_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        ActionsSettings(profile="production", database_url=SecretStr("postgresql+asyncpg://u@db/p"))


def test_real_secrets_pass_in_production() -> None:
    settings = ActionsSettings(profile="production", database_url=SecretStr(REAL_URL))
    assert settings.json_logs is True
    assert "Xq9" not in repr(settings)


@pytest.mark.parametrize("profile", ["local", "test"])
def test_placeholders_are_allowed_for_local_and_test(profile: str) -> None:
    settings = ServiceSettings(profile=profile)
    assert settings.relaxed


def test_relay_secret_must_be_real_only_when_the_relay_runs() -> None:
    with pytest.raises(ValidationError) as err:
        ActionsSettings(profile="production", database_url=SecretStr(REAL_URL), relay_enabled=True)
    assert "relay_client_secret" in str(err.value)
    settings = ActionsSettings(
        profile="production",
        database_url=SecretStr(REAL_URL),
        relay_enabled=True,
        relay_client_secret=SecretStr("a-real-relay-secret-value"),
    )
    assert settings.relay_enabled


@pytest.mark.parametrize(
    ("profile", "setting", "served"),
    [
        ("production", None, False),  # issue 22.4: off in production unless asked for
        ("production", True, True),
        ("staging", None, True),
        ("local", None, True),
        ("local", False, False),
    ],
)
async def test_docs_are_off_in_production_by_default(
    profile: str, setting: bool | None, served: bool
) -> None:
    import httpx

    from shared.app import build_app

    settings = ActionsSettings(
        profile=profile, database_url=SecretStr(REAL_URL), docs_enabled=setting
    )
    app = build_app(settings, title="t", description="d", use_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for path in ("/docs", "/redoc"):
            assert (await http.get(path)).status_code == (200 if served else 404), path
