"""The gateway as a client of an agency's OpenID Connect provider: the provider's code
redeemed (with the gateway's own PKCE verifier) and its ID token checked — signature by a key
of the provider's JWKS (never one named in the token), ``iss`` exact, ``aud`` our client id,
``nonce`` ours, ``exp``/``iat`` present — then the person's agency and roles mapped as for a
trusted issuer's access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from services.gateway.config import FederatedProvider
from services.gateway.policy import ROLES
from services.gateway.tokens.verify import AGENCY_RE, FORBIDDEN_ALGS, LEEWAY_S
from shared.logs import get_logger

log = get_logger("gateway.signin")


class ProviderRefused(Exception):
    """The provider's answer cannot sign anyone in (logged by reason, never with a token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FederatedPerson:
    subject: str
    agency: str
    roles: list[str]


async def redeem(
    http: httpx.AsyncClient,
    provider: FederatedProvider,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> str:
    """The provider's ID token for its ``code``."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": provider.client_id,
        "code_verifier": verifier,
    }
    if provider.client_secret is not None:
        form["client_secret"] = provider.client_secret.get_secret_value()
    try:
        response = await http.post(provider.token_endpoint, data=form, timeout=5.0)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderRefused("token endpoint unreachable") from exc
    if response.status_code != 200 or not isinstance(body, dict):
        raise ProviderRefused("token endpoint refused the code")
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or len(id_token) > 16_384:
        raise ProviderRefused("no id token")
    return id_token


async def _key(http: httpx.AsyncClient, provider: FederatedProvider, kid: str) -> Any:
    try:
        response = await http.get(provider.jwks_url, timeout=3.0)
        response.raise_for_status()
        keys = response.json().get("keys", [])
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise ProviderRefused("jwks unreachable") from exc
    for jwk in keys:
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            return jwk
    raise ProviderRefused("unknown kid")


async def person(
    http: httpx.AsyncClient, provider: FederatedProvider, id_token: str, nonce: str
) -> FederatedPerson:
    """Who the provider's ID token names, after every check."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise ProviderRefused("malformed id token") from exc
    algorithms = [a for a in provider.algorithms if a not in FORBIDDEN_ALGS]
    alg = header.get("alg")
    if alg not in algorithms or header.get("crit") is not None:
        raise ProviderRefused("algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ProviderRefused("no kid")
    jwk = await _key(http, provider, kid)
    try:
        key = jwt.PyJWK(jwk, algorithm=str(alg)).key
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=algorithms,
            audience=provider.client_id,
            issuer=provider.issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise ProviderRefused(type(exc).__name__) from exc
    if claims.get("nonce") != nonce:
        raise ProviderRefused("nonce")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise ProviderRefused("azp")
    agency = provider.agency or claims.get(provider.agency_claim)
    if not isinstance(agency, str) or not AGENCY_RE.match(agency):
        raise ProviderRefused("agency")
    raw_roles = claims.get(provider.roles_claim) or []
    if not isinstance(raw_roles, list):
        raise ProviderRefused("roles")
    if provider.role_map:
        roles = {provider.role_map[r] for r in raw_roles if r in provider.role_map}
    else:
        roles = {r for r in raw_roles if r in ROLES}
    subject = f"{provider.issuer}#{claims['sub']}"
    if len(subject) > 300:
        raise ProviderRefused("subject too long")
    return FederatedPerson(subject=subject, agency=agency, roles=sorted(roles & ROLES))
