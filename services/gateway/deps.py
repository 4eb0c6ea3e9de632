"""Request dependencies of the gateway's own routes: the verified caller and its rights."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway import policy
from services.gateway.hashing import SecretHasher
from services.gateway.ratelimit.limiter import route_class
from services.gateway.tokens.access import Principal
from services.gateway.tokens.verify import TokenVerifier
from shared.problems import Forbidden, Unauthorized

bearer = HTTPBearer(auto_error=False, description="access token from /oauth/token or login")


async def authenticate(request: Request, authorization: str | None) -> Principal:
    if not authorization or not authorization[:7].lower() == "bearer ":
        raise Unauthorized(
            "a bearer access token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    verifier: TokenVerifier = request.app.state.tokens
    return await verifier.verify(authorization[7:].strip())


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    header = f"Bearer {credentials.credentials}" if credentials else None
    principal = await authenticate(request, header)
    caller = principal.caller
    await request.app.state.limiter.check(
        route_class(request.method, request.url.path),
        f"{caller.kind}:{caller.client_id}:{caller.subject}",
    )
    return principal


async def auth_rate_limit(request: Request) -> None:
    """Token and login endpoints: limited per client address (before any credential check);
    the address is the socket's unless it is a trusted proxy (``ratelimit/address.py``)."""
    address = request.app.state.client_address.of(request.scope)
    await request.app.state.limiter.check("auth", address)


AuthRateLimit = Depends(auth_rate_limit)


def _hasher(request: Request) -> SecretHasher:
    hasher: SecretHasher = request.app.state.hasher
    return hasher


#: The app's password and secret hasher (built by ``create_app`` from the settings).
HasherDep = Annotated[SecretHasher, Depends(_hasher)]


PrincipalDep = Annotated[Principal, Depends(_principal)]


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller must hold ``permission`` (see ``policy.py``)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not policy.allows(principal.caller, permission):
            raise Forbidden("this operation is not allowed for the caller")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require("admin"))]
