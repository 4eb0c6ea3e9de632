"""Access tokens (RFC 9068): ES256 JWTs, ``typ`` ``at+jwt``, at most ten minutes."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from shared.identity import Caller

ACCESS_TYP = "at+jwt"
ALGORITHMS = ["ES256"]
MAX_LIFETIME_S = 600


@dataclass(frozen=True)
class Principal:
    """A verified caller of the gateway and the token that proved it."""

    caller: Caller
    jti: str | None
    expires_at: float
    issuer: str


def mint_access_token(
    signer: tuple[str, ec.EllipticCurvePrivateKey],
    *,
    issuer: str,
    audience: str,
    subject: str,
    client_id: str,
    agency: str,
    kind: str,
    roles: list[str] | None = None,
    scopes: list[str] | None = None,
    lifetime_s: int = MAX_LIFETIME_S,
    now: int | None = None,
) -> tuple[str, dict[str, Any]]:
    kid, key = signer
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "client_id": client_id,
        "agency": agency,
        "kind": kind,
        "roles": sorted(roles or []),
        "scope": " ".join(sorted(scopes or [])),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + min(lifetime_s, MAX_LIFETIME_S),
    }
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": ACCESS_TYP})
    return token, claims
