"""Pooled outbound HTTP: the httpx API over aiohttp's transport.

Measured on this machine, a default ``httpx.AsyncClient`` kept 0.07 of direct throughput as a
proxy at 32 connections while aiohttp kept 0.7 (httpx issue #3215), so every outbound client
uses ``httpx-aiohttp``'s transport. Timeouts are always set.
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport


def create_http_client(
    *,
    base_url: str = "",
    timeout_s: float = 10.0,
    connect_timeout_s: float = 2.0,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s, pool=connect_timeout_s)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncClient(
        base_url=base_url, timeout=timeout, transport=transport, trust_env=False
    )
