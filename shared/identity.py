"""The caller a request acts for, named by the gateway in a short-lived internal token.

The gateway verifies the outside caller, then mints an internal JWT (ES256, its own key,
audience = the target service, lifetime at most 60 s) naming the original subject, agency,
roles, scopes and request id. Services verify it here and refuse a request without one, so
a partner token sent straight to a service, an expired token or one for another service
is a 401.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import Unauthorized

INTERNAL_TYP = "int+jwt"
INTERNAL_ALGORITHMS = ["ES256"]
MAX_INTERNAL_LIFETIME_S = 60
LEEWAY_S = 5


@dataclass(frozen=True)
class Caller:
    """Who a request acts for, as the gateway established it."""

    subject: str
    agency: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    kind: str = "user"  # "user" (a person) or "client" (a partner system)
    request_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_scope(self, *scopes: str) -> bool:
        return bool(self.scopes.intersection(scopes))

    def as_actor(self) -> dict[str, Any]:
        """The caller as recorded in outbox events and the trail."""
        return {
            "subject": self.subject,
            "agency": self.agency,
            "roles": sorted(self.roles),
            "scopes": sorted(self.scopes),
            "client_id": self.client_id,
            "kind": self.kind,
        }


class InternalTokenMinter:
    """Signs internal tokens (the gateway's job; tests use it to act as the gateway)."""

    def __init__(self, private_key_pem: str, *, kid: str, issuer: str) -> None:
        self._key = private_key_pem
        self.kid = kid
        self.issuer = issuer

    def mint(self, caller: Caller, audience: str, *, lifetime_s: int = 60) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "sub": caller.subject,
            "agency": caller.agency,
            "roles": sorted(caller.roles),
            "scope": " ".join(sorted(caller.scopes)),
            "client_id": caller.client_id,
            "kind": caller.kind,
            "rid": caller.request_id,
            "iat": now,
            "nbf": now,
            "exp": now + min(lifetime_s, MAX_INTERNAL_LIFETIME_S),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims, self._key, algorithm="ES256", headers={"kid": self.kid, "typ": INTERNAL_TYP}
        )


class InternalTokenVerifier:
    def __init__(self, public_key_pem: str, *, issuer: str, audience: str) -> None:
        self._key = public_key_pem
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != INTERNAL_TYP or header.get("crit"):
                raise Unauthorized("not an internal token")
            claims = jwt.decode(
                token,
                self._key,
                algorithms=INTERNAL_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid internal token") from exc
        if int(claims["exp"]) - int(claims["iat"]) > MAX_INTERNAL_LIFETIME_S:
            raise Unauthorized("internal token lives too long")
        agency = claims.get("agency")
        if not isinstance(agency, str) or not agency:
            raise Unauthorized("internal token names no agency")
        return Caller(
            subject=str(claims["sub"]),
            agency=agency,
            roles=frozenset(claims.get("roles") or ()),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            client_id=claims.get("client_id"),
            kind=str(claims.get("kind") or "user"),
            request_id=claims.get("rid"),
        )


_bearer = HTTPBearer(auto_error=False, description="internal token minted by the gateway")


async def _current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    verifier: InternalTokenVerifier | None = getattr(request.app.state, "verifier", None)
    if credentials is None or verifier is None:
        raise Unauthorized(
            "a gateway-issued bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return verifier.verify(credentials.credentials)


#: The verified caller of this request; routes that need identity declare it.
CallerDep = Annotated[Caller, Depends(_current_caller)]
