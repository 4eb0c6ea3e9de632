"""The floor a gateway process can reach here: uvicorn (uvloop, httptools) forwarding each
request over the gateway's aiohttp session (``routing/upstream.py``) with the gateway's
cached internal token (``routing/internal.py``) and nothing else — no token check, limit,
policy, request id, headers, metrics or logs. The bench runs it beside the real gateway, so
the gap between the two is the gateway's own work.
"""

from __future__ import annotations

import os

import aiohttp
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from services.gateway.routing.internal import InternalTokens
from services.gateway.routing.upstream import create_session
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
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message: Message = await receive()
                if message["type"] == "lifespan.startup":
                    self.session = create_session(10.0, 1.0)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    if self.session is not None:
                        await self.session.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.session is not None
        if scope["path"] == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        token = self.tokens.token_for(self.caller, "actions")
        url = URL(self.upstream.rstrip("/") + scope["raw_path"].decode("latin-1"), encoded=True)
        async with self.session.get(url, headers={"authorization": "Bearer " + token}) as answer:
            body = await answer.read()
            headers = [
                (k.lower(), v)
                for k, v in answer.raw_headers
                if k.lower() in (b"content-type", b"content-length")
            ]
            status = answer.status
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def app_factory() -> Floor:
    return Floor(
        os.environ["BENCH_FLOOR_UPSTREAM"],
        os.environ["BENCH_FLOOR_KEY"],
        os.environ["BENCH_FLOOR_CLIENT"],
    )
