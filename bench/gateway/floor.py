"""The floor a gateway process can reach here: uvicorn (uvloop, httptools) forwarding each
request over the gateway's own pool (``routing/client.py``) with the gateway's cached internal
token (``routing/internal.py``) and nothing else — no token check, limit, policy, request id,
headers, metrics or logs. The bench runs it beside the real gateway, so the gap between the
two is the gateway's own work.
"""

from __future__ import annotations

import os

from starlette.types import Message, Receive, Scope, Send

from services.gateway.routing.client import UpstreamPool
from services.gateway.routing.internal import InternalTokens
from shared.identity import Caller, InternalTokenMinter


class Floor:
    def __init__(self, upstream: str, private_key: str, client_id: str) -> None:
        self.upstream = upstream
        self.tokens = InternalTokens(
            InternalTokenMinter(private_key, kid="bench", issuer="improvement-platform-gateway")
        )
        self.caller = Caller(
            subject=client_id,
            agency="police",
            scopes=frozenset({"actions:read"}),
            client_id=client_id,
            kind="client",
        )
        self.pool: UpstreamPool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message: Message = await receive()
                if message["type"] == "lifespan.startup":
                    self.pool = UpstreamPool(10.0, 1.0)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.pool is not None
        if scope["path"] == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        token = self.tokens.token_for(self.caller, "actions")
        auth = [(b"authorization", b"Bearer " + token.encode("latin-1"))]
        answer = await self.pool.send(self.upstream, b"GET", scope["raw_path"], auth, b"")
        body = await answer.read()
        headers = [(k, v) for k, v in answer.headers if k in (b"content-type", b"content-length")]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def app_factory() -> Floor:
    return Floor(
        os.environ["BENCH_FLOOR_UPSTREAM"],
        os.environ["BENCH_FLOOR_KEY"],
        os.environ["BENCH_FLOOR_CLIENT"],
    )
