"""A small but real OpenID Connect provider for tests: an agency's identity provider the
gateway signs people in with. Served by uvicorn on a real socket; it signs ID tokens with
its own RSA key (RS256) and publishes the key at its JWKS URL; it checks the gateway's
client secret, redirect URI and PKCE verifier as a provider would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "improvement-platform"
CLIENT_SECRET = "provider-secret-for-the-gateway"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Provider:
    """The provider's state: who signs in next, and what its tokens say."""

    base: str = ""
    subject: str = "pc-4711"
    claims: dict[str, Any] = field(
        default_factory=lambda: {"agency": "police", "groups": ["cs-analyst"]}
    )
    audience: str = CLIENT_ID
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "provider-key-1"
    #: signs ID tokens instead of ``key`` when set (a forger's key under the published kid)
    signer: rsa.RSAPrivateKey | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    redeemed: int = 0

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "redirect_uri": q["redirect_uri"],
            "challenge": q["code_challenge"],
            "nonce": q["nonce"],
        }
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(target, status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        granted = self.codes.pop(str(form.get("code")), None)
        if (
            granted is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != granted["redirect_uri"]
            or _s256(str(form.get("code_verifier"))) != granted["challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        self.redeemed += 1
        now = int(time.time())
        claims = {
            "iss": self.base,
            "aud": self.audience,
            "sub": self.subject,
            "iat": now,
            "exp": now + 300,
            "nonce": granted["nonce"],
        } | self.claims
        id_token = jwt.encode(
            claims, self.signer or self.key, algorithm="RS256", headers={"kid": self.kid}
        )
        return JSONResponse(
            {"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"}
        )

    async def jwks(self, request: Request) -> Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [jwk | {"kid": self.kid, "use": "sig", "alg": "RS256"}]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
            ]
        )


@asynccontextmanager
async def running_provider() -> AsyncIterator[Provider]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    provider = Provider()
    provider.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):  # started, or failed to
            if server.started or task.done():
                break
            await asyncio.sleep(0.02)
        assert server.started
        yield provider
    finally:
        server.should_exit = True
        await task
        sock.close()
