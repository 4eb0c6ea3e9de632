"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.gateway.keys.wrapping import KeyWrapper
from shared.relay import RelaySettings


class TrustedIssuer(BaseModel):
    """An agency's own OpenID Connect provider whose access tokens the gateway accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(description="exact `iss` value")
    jwks_url: str = Field(description="where its signing keys are published")
    audience: str = Field(description="the `aud` its tokens must carry for us")
    agency: str | None = Field(None, description="fixed agency for every token of this issuer")
    agency_claim: str = Field("agency", description="claim naming the agency (if not fixed)")
    roles_claim: str = Field("roles", description="claim listing the caller's roles")
    role_map: dict[str, str] = Field(
        default_factory=dict, description="issuer role → platform role (unmapped roles dropped)"
    )
    algorithms: tuple[str, ...] = ("RS256", "ES256")


class BrowserClient(BaseModel):
    """A front end signing people in through the authorization code flow with PKCE (a public
    client: no secret). Its redirect URIs are matched exactly, byte for byte."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,63}$", description="the client's id")
    redirect_uris: tuple[str, ...] = Field(
        min_length=1, description="the only URIs a code is sent to (exact match)"
    )

    @field_validator("redirect_uris")
    @classmethod
    def _absolute(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for uri in value:
            parts = urlsplit(uri)
            local = parts.hostname in ("localhost", "127.0.0.1", "::1")
            if parts.scheme != "https" and not (parts.scheme == "http" and local):
                raise ValueError("a redirect URI is https (http only on localhost)")
            if parts.fragment or not parts.netloc:
                raise ValueError("a redirect URI is absolute and has no fragment")
        return value

    def origins(self) -> frozenset[str]:
        """The front end's origins: those of its redirect URIs."""
        return frozenset(
            f"{p.scheme}://{p.netloc}" for p in (urlsplit(u) for u in self.redirect_uris)
        )


class FederatedProvider(BaseModel):
    """An agency's own OpenID Connect provider people sign in with (authorization code with
    PKCE; the gateway is its confidential client and mints its own tokens after checking
    the ID token)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,39}$", description="`idp` value choosing it")
    title: str = Field("", max_length=100, description="shown on the sign-in page")
    issuer: str = Field(description="exact `iss` of its ID tokens")
    authorization_endpoint: str = Field(description="where people are sent to sign in")
    token_endpoint: str = Field(description="where the gateway redeems the provider's code")
    jwks_url: str = Field(description="where its signing keys are published")
    client_id: str = Field(description="the gateway's client id at the provider")
    client_secret: SecretStr | None = Field(None, description="the gateway's secret there")
    scope: str = Field("openid", description="scopes asked of the provider")
    agency: str | None = Field(None, description="fixed agency for everyone it signs in")
    agency_claim: str = Field("agency", description="claim naming the agency (if not fixed)")
    roles_claim: str = Field("roles", description="claim listing the person's roles")
    role_map: dict[str, str] = Field(
        default_factory=dict, description="provider role → platform role (unmapped dropped)"
    )
    algorithms: tuple[str, ...] = ("RS256", "ES256")


#: Front-end development servers allowed by CORS in the ``local`` profile by default.
LOCAL_DEV_ORIGINS = (
    "http://localhost:5173",
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "http://127.0.0.1:3000",
)


class GatewaySettings(RelaySettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    port: int = 8000
    actions_url: str = Field("http://127.0.0.1:8001", description="base URL of the actions service")
    kpis_url: str = Field("http://127.0.0.1:8002", description="base URL of the kpis service")
    audit_url: str = Field("http://127.0.0.1:8003", description="base URL of the audit service")
    board_url: str = Field("http://127.0.0.1:8004", description="base URL of the board service")
    forwarding_enabled: bool = Field(
        True, description="forward authenticated /v1/... requests to the owning service"
    )
    upstream_timeout_s: float = Field(10.0, gt=0, description="read timeout per upstream call")
    upstream_connect_timeout_s: float = Field(1.0, gt=0, description="connect timeout")
    health_timeout_s: float = Field(1.0, gt=0, description="timeout of each health probe")
    # -- tokens ------------------------------------------------------------------------------
    issuer: str = Field("http://127.0.0.1:8000", description="`iss` of our access tokens")
    audience: str = Field("improvement-platform", description="`aud` of our access tokens")
    access_token_ttl_s: int = Field(600, ge=30, le=600, description="access token lifetime")
    refresh_token_ttl_s: int = Field(8 * 3600, ge=60, description="refresh token lifetime")
    internal_jwt_private_key: SecretStr | None = Field(
        None, description="PEM private key signing internal tokens (ES256)"
    )
    internal_token_ttl_s: int = Field(60, ge=5, le=60, description="internal token lifetime")
    key_publish_delay_s: int = Field(
        60, ge=0, description="a rotated-in key is published this long before it signs"
    )
    key_cache_s: float = Field(10.0, ge=0, description="how long signing keys are cached")
    key_wrapping_key: SecretStr = Field(
        SecretStr("dev-only-key-wrapping"),
        description="secret wrapping the access-token signing keys stored in the database "
        "(AES-256-GCM; `python -m shared.keys generate` makes one); at least 32 characters "
        "outside local/test",
    )
    key_wrapping_key_previous: SecretStr | None = Field(
        None,
        description="the wrapping key being rotated out: still opens keys until "
        "`python -m services.gateway.keys rewrap` has wrapped them with the new one",
    )
    deny_cache_s: float = Field(
        2.0, ge=0, description="other instances see a deny-list entry within this time"
    )
    trusted_issuers: tuple[TrustedIssuer, ...] = Field(
        (), description="JSON list of trusted OIDC issuers"
    )
    # -- browser sign-in (authorization code with PKCE) ----------------------------------------
    browser_clients: tuple[BrowserClient, ...] = Field(
        (),
        description="JSON list of front ends signing people in (client_id, redirect_uris); "
        "none in the local profile: `local-web` with http://localhost:5173/callback",
    )
    federated_providers: tuple[FederatedProvider, ...] = Field(
        (),
        description="JSON list of agencies' OpenID Connect providers people sign in with "
        "(name, issuer, authorization/token endpoints, JWKS URL, client id and secret, claims)",
    )
    authorization_code_ttl_s: int = Field(
        60, ge=10, le=600, description="an authorization code is redeemable this long, once"
    )
    # -- people ------------------------------------------------------------------------------
    lockout_threshold: int = Field(5, ge=1, description="failed logins before a lockout")
    lockout_base_s: int = Field(30, ge=1, description="first lockout; doubles each time")
    lockout_max_s: int = Field(900, ge=1, description="longest lockout")
    login_failure_window_s: int = Field(
        86_400, ge=60, description="failed logins of a name are forgotten after this quiet time"
    )
    password_checks_max: int = Field(
        16, ge=1, description="argon2 checks at once (running or queued); more get a 503"
    )
    # -- edges -------------------------------------------------------------------------------
    rate_limit_redis_url: str | None = Field(
        None, description="redis://host:port/db for limits shared by several gateways"
    )
    rate_limit_default: str = Field("600/minute", description="per caller, most routes")
    rate_limit_write: str = Field("120/minute", description="per caller, writes")
    rate_limit_import: str = Field("10/minute", description="per caller, imports")
    rate_limit_auth: str = Field("30/minute", description="per client address, token/login")
    trusted_proxies: tuple[str, ...] = Field(
        (),
        description="JSON list of IPs/CIDRs of proxies in front of the gateway whose "
        "forwarding header names the client; none: the socket address is the client",
    )
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = Field(
        "x-forwarded-for", description="the header a trusted proxy names the client in"
    )
    body_limit_bytes: int = Field(
        1_000_000, ge=1024, description="largest request body (routes other than below)"
    )
    submission_body_limit_bytes: int = Field(
        20_971_520,
        ge=1024,
        description="largest body on POST /v1/submissions: kpis's own cap on a batch (20 MiB), "
        "room for its 50,000 rows at up to about 400 bytes a row",
    )
    import_body_limit_bytes: int = Field(
        50_000_000, ge=1024, description="largest body on /v1/imports"
    )
    cors_origins: tuple[str, ...] = Field(
        (),
        description="JSON list of front-end origins allowed by CORS; empty in the local "
        "profile: the usual development servers (localhost and 127.0.0.1, ports 5173 and "
        "3000); empty elsewhere: no CORS",
    )
    upstream_retries: int = Field(1, ge=0, le=3, description="retries of idempotent calls")
    breaker_threshold: int = Field(5, ge=1, description="failures that open the breaker")
    breaker_reset_s: float = Field(10.0, gt=0, description="open breaker wait before a trial")
    openapi_cache_s: float = Field(60.0, ge=0, description="merged OpenAPI document cache")
    access_log_forwarded: Literal["all", "errors"] = Field(
        "errors",
        description="access log lines of forwarded requests: 'all', or only those answered "
        "4xx/5xx (the owning service logs every request it answers, with the same request id)",
    )
    metrics_token: SecretStr | None = Field(
        None, description="bearer token Prometheus sends for /metrics; none: /metrics refused"
    )

    @field_validator(
        "trusted_issuers",
        "cors_origins",
        "trusted_proxies",
        "browser_clients",
        "federated_providers",
        mode="before",
    )
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else ()
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError("each trusted proxy must be an IP address or CIDR") from None
        return value

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

    @model_validator(mode="after")
    def _needs_internal_key(self) -> GatewaySettings:
        if not self.relaxed and self.forwarding_enabled and self.internal_jwt_private_key is None:
            raise ValueError(
                f"profile {self.profile!r} forwards requests: set INTERNAL_JWT_PRIVATE_KEY"
            )
        return self

    @model_validator(mode="after")
    def _strong_wrapping_key(self) -> GatewaySettings:
        if not self.relaxed and len(self.key_wrapping_key.get_secret_value()) < 32:
            raise ValueError(
                f"profile {self.profile!r}: KEY_WRAPPING_KEY must be at least 32 characters"
            )
        return self

    def effective_cors_origins(self) -> tuple[str, ...]:
        """CORS origins: those configured; in the local profile, the development servers."""
        if self.cors_origins:
            return self.cors_origins
        return LOCAL_DEV_ORIGINS if self.profile == "local" else ()

    def effective_browser_clients(self) -> tuple[BrowserClient, ...]:
        """Browser clients: those configured; in the local profile, one for a development
        server on localhost:5173."""
        if self.browser_clients or self.profile != "local":
            return self.browser_clients
        return (
            BrowserClient(client_id="local-web", redirect_uris=("http://localhost:5173/callback",)),
        )

    def key_wrapper(self) -> KeyWrapper:
        previous = self.key_wrapping_key_previous
        return KeyWrapper(
            self.key_wrapping_key.get_secret_value(),
            previous.get_secret_value() if previous is not None else None,
        )

    def upstreams(self) -> dict[str, str]:
        return {
            "actions": self.actions_url,
            "kpis": self.kpis_url,
            "audit": self.audit_url,
            "board": self.board_url,
        }
