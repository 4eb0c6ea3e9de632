"""Verifying bearer tokens presented to the gateway (RFC 8725, RFC 9068).

One algorithm allow-list per issuer; keys only from our own key set (or a trusted issuer's
configured JWKS URL) — ``jku``, ``x5u``, ``jwk`` and ``x5c`` headers are never used, and a
``crit`` header is refused. ``iss`` must match exactly, ``aud`` must be ours, ``typ`` must be
``at+jwt``; ``exp``, ``iat``, ``sub``, ``jti`` and ``client_id`` are required.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from services.gateway.config import GatewaySettings, TrustedIssuer
from services.gateway.keys.denylist import DenyList
from services.gateway.keys.keyring import Keyring
from services.gateway.policy import ROLES
from services.gateway.tokens.access import ACCESS_TYP, ALGORITHMS, MAX_LIFETIME_S, Principal
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import Unauthorized

LEEWAY_S = 30
FORBIDDEN_ALGS = frozenset({"none", "HS256", "HS384", "HS512"})
AGENCY_RE = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
CACHE_LIMIT = 20_000
log = get_logger("gateway.auth")


class InvalidToken(Unauthorized):
    def __init__(self, reason: str) -> None:
        log.info("token.rejected", reason=reason)
        super().__init__(
            "invalid or expired access token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


def _typ_ok(header: dict[str, Any]) -> bool:
    typ = str(header.get("typ") or "").lower()
    return typ in (ACCESS_TYP, "application/" + ACCESS_TYP)


class TokenVerifier:
    def __init__(
        self,
        settings: GatewaySettings,
        keyring: Keyring,
        denylist: DenyList,
        http: Callable[[], httpx.AsyncClient],
    ) -> None:
        self.settings = settings
        self.keyring = keyring
        self.denylist = denylist
        self._http = http
        self._issuers = {t.issuer: t for t in settings.trusted_issuers}
        self._jwks: dict[str, tuple[float, dict[str, Any]]] = {}
        self._cache: dict[str, Principal] = {}

    async def verify(self, token: str) -> Principal:
        principal = self._cache.get(token)
        if principal is None or principal.expires_at + LEEWAY_S < time.time():
            principal = await self._verify(token)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = principal
        caller = principal.caller
        if await self.denylist.denied(
            client_id=caller.client_id, subject=caller.subject, jti=principal.jti
        ):
            raise InvalidToken("deny-listed")
        return principal

    async def _verify(self, token: str) -> Principal:
        if len(token) > 8192:
            raise InvalidToken("too long")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed") from exc
        if header.get("crit") is not None:
            raise InvalidToken("crit header")
        if str(header.get("alg")) in FORBIDDEN_ALGS:
            raise InvalidToken("algorithm")
        if not _typ_ok(header):
            raise InvalidToken("typ")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no kid")
        issuer = unverified.get("iss")
        if issuer == self.settings.issuer:
            return await self._ours(token, header, kid)
        trusted = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trusted is not None:
            return await self._trusted(token, header, kid, trusted)
        raise InvalidToken("issuer")

    async def _ours(self, token: str, header: dict[str, Any], kid: str) -> Principal:
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("algorithm")
        key = await self.keyring.verifier(kid)
        if key is None:
            raise InvalidToken("unknown kid")
        claims = self._decode(
            token,
            key,
            ALGORITHMS,
            self.settings.audience,
            self.settings.issuer,
            ["exp", "iat", "iss", "aud", "sub", "jti", "client_id"],
        )
        if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME_S + 5:
            raise InvalidToken("lifetime")
        agency = claims.get("agency")
        kind = claims.get("kind")
        roles = claims.get("roles") or []
        if not isinstance(agency, str) or not AGENCY_RE.match(agency):
            raise InvalidToken("agency")
        if kind not in ("user", "client") or not isinstance(roles, list):
            raise InvalidToken("kind")
        caller = Caller(
            subject=str(claims["sub"]),
            agency=agency,
            roles=frozenset(str(r) for r in roles),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            client_id=str(claims["client_id"]),
            kind=kind,
        )
        return Principal(caller, str(claims["jti"]), float(claims["exp"]), self.settings.issuer)

    def _decode(
        self,
        token: str,
        key: Any,
        algorithms: list[str],
        audience: str,
        issuer: str,
        required: list[str],
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_S,
                options={"require": required, "verify_nbf": True, "verify_iat": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        return claims

    async def _trusted(
        self, token: str, header: dict[str, Any], kid: str, trusted: TrustedIssuer
    ) -> Principal:
        algorithms = [a for a in trusted.algorithms if a not in FORBIDDEN_ALGS]
        if header.get("alg") not in algorithms:
            raise InvalidToken("algorithm")
        jwk = await self._issuer_key(trusted, kid)
        if jwk is None:
            raise InvalidToken("unknown kid")
        try:
            key = jwt.PyJWK(jwk, algorithm=str(header["alg"])).key
        except jwt.PyJWTError as exc:
            raise InvalidToken("bad issuer key") from exc
        claims = self._decode(
            token, key, algorithms, trusted.audience, trusted.issuer, ["exp", "iat", "sub"]
        )
        agency = trusted.agency or claims.get(trusted.agency_claim)
        if not isinstance(agency, str) or not AGENCY_RE.match(agency):
            raise InvalidToken("agency")
        raw_roles = claims.get(trusted.roles_claim) or []
        if not isinstance(raw_roles, list):
            raise InvalidToken("roles")
        if trusted.role_map:
            roles = {trusted.role_map[r] for r in raw_roles if r in trusted.role_map}
        else:
            roles = {r for r in raw_roles if r in ROLES}
        caller = Caller(
            subject=f"{trusted.issuer}#{claims['sub']}",
            agency=agency,
            roles=frozenset(roles & ROLES),
            client_id=str(claims.get("client_id") or claims.get("azp") or trusted.issuer),
            kind="user",
        )
        jti = claims.get("jti")
        return Principal(caller, str(jti) if jti else None, float(claims["exp"]), trusted.issuer)

    async def _issuer_key(self, trusted: TrustedIssuer, kid: str) -> dict[str, Any] | None:
        fetched_at, jwks = self._jwks.get(trusted.issuer, (0.0, {}))
        age = time.monotonic() - fetched_at
        if (kid not in jwks and age > 30) or age > 300:
            try:
                response = await self._http().get(trusted.jwks_url, timeout=3.0)
                response.raise_for_status()
                keys = response.json().get("keys", [])
                jwks = {k["kid"]: k for k in keys if isinstance(k, dict) and "kid" in k}
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning("issuer.jwks_failed", issuer=trusted.issuer, error=type(exc).__name__)
            self._jwks[trusted.issuer] = (time.monotonic(), jwks)
        return jwks.get(kid)
