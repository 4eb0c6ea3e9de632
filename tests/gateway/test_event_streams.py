"""Server-sent events pass the gateway's hot path as they come (issue 18, item 5).

The upstream is a real HTTP server (kpis' place in the routing table) sending an import's
events; the gateway's ASGI app is driven directly so the test sees each piece it sends:
the first event must reach the client while the upstream still holds the rest back (no
buffering), and a stream whose events are further apart than the gateway's read timeout
passes whole as long as the service's keep-alive comments come more often (no timeout).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Message

from services.gateway.routing.upstream import create_session
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.gateway.test_hot_path import real_upstream

READ_TIMEOUT_S = 0.5
PATH = "/v1/imports/0b6f2c1e-6a0b-4b9e-9a57-3f7f4d0e2a11/events"
FIRST = b'id: 1\nevent: progress\ndata: {"stage": "reading"}\n\n'
LAST = b'id: 2\nevent: end\ndata: {"stage": "finished"}\n\n'


@asynccontextmanager
async def gateway_to_kpis(connection: AsyncConnection, port: int) -> AsyncIterator[Gateway]:
    gw = await make_gateway(connection, gateway_settings(kpis_url=f"http://127.0.0.1:{port}"))
    gw.app.state.upstream_session = create_session(READ_TIMEOUT_S, 0.5)
    try:
        async with gw.http:
            yield gw
    finally:
        await gw.app.state.upstream_session.close()


async def _drive(gw: Gateway, token: str, sent: list[Message]) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", token.encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await gw.app(scope, receive, send)


def _body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_events_reach_the_client_as_they_come_and_quiet_gaps_do_not_time_out(
    gateway_connection: AsyncConnection,
) -> None:
    sent: list[Message] = []
    first_relayed = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(FIRST)
        # the rest waits until the first event has reached the gateway's client
        await asyncio.wait_for(first_relayed.wait(), 10)
        for _ in range(6):  # 1.2 s in all, more than the read timeout, 0.2 s apart
            await asyncio.sleep(0.2)
            await response.write(b": keep-alive\n\n")
        await response.write(LAST)
        await response.write_eof()
        return response

    async with real_upstream(handler) as (port, _), gateway_to_kpis(gateway_connection, port) as gw:
        token = (await gw.bearer(("kpis:read",)))["Authorization"]
        driving = asyncio.create_task(_drive(gw, token, sent))
        for _ in range(1000):
            if FIRST in _body(sent):
                break
            await asyncio.sleep(0.01)
        assert FIRST in _body(sent), "the first event was held back by the gateway"
        assert LAST not in _body(sent)
        first_relayed.set()
        await asyncio.wait_for(driving, 20)

    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = dict(start["headers"])
    assert start["status"] == 200
    assert headers[b"content-type"] == b"text/event-stream"
    assert b"content-length" not in headers
    body = _body(sent)
    assert body == FIRST + b": keep-alive\n\n" * 6 + LAST
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
