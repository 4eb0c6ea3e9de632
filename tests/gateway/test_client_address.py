"""G7: forwarding headers are believed only from configured proxies.

With no trusted proxy the token and login limits key on the socket address, whatever
``X-Forwarded-For`` or ``Forwarded`` say; uvicorn, as the platform starts it, does not
rewrite the address either; with the peer configured as a trusted proxy, the client the
header names (its rightmost untrusted hop) is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import shlex
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.ratelimit.address import ClientAddress
from shared.devtools.embedded import free_port
from shared.devtools.stack import uvicorn_args
from tests.gateway.conftest import gateway_settings, make_gateway

ROOT = Path(__file__).resolve().parents[2]
FORM = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
LOGIN = {"username": "nobody", "password": "not-the-password"}


def _rotating(i: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{i}", "Forwarded": f"for=203.0.113.{i}"}


def _scope(peer: str, headers: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "client": (peer, 1234),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }


def test_g7_address_is_the_socket_unless_the_peer_is_a_trusted_proxy() -> None:
    none = ClientAddress(())
    spoof = [("x-forwarded-for", "6.6.6.6"), ("forwarded", "for=6.6.6.6")]
    assert none.of(_scope("10.0.0.9", spoof)) == "10.0.0.9"
    proxies = ClientAddress([ipaddress.ip_network("10.0.0.0/24")])
    assert proxies.of(_scope("192.0.2.7", spoof)) == "192.0.2.7"  # peer not a proxy
    assert proxies.of(_scope("10.0.0.9", [("x-forwarded-for", "192.0.2.1")])) == "192.0.2.1"
    # hops the client wrote itself (left of what the proxy appended) are never believed
    chain = [("x-forwarded-for", "6.6.6.6, 192.0.2.1"), ("x-forwarded-for", "10.0.0.4")]
    assert proxies.of(_scope("10.0.0.9", chain)) == "192.0.2.1"
    assert proxies.of(_scope("10.0.0.9", [("x-forwarded-for", "garbage")])) == "10.0.0.9"
    assert proxies.of(_scope("10.0.0.9", [])) == "10.0.0.9"
    forwarded = ClientAddress([ipaddress.ip_network("10.0.0.0/24")], "forwarded")
    header = [("forwarded", 'for=6.6.6.6, for="[2001:db8::1]:4711";proto=https')]
    assert forwarded.of(_scope("10.0.0.9", header)) == "2001:db8::1"
    assert forwarded.of(_scope("10.0.0.9", [("x-forwarded-for", "6.6.6.6")])) == "10.0.0.9"


async def test_g7_rotating_forwarding_headers_never_reset_the_login_or_token_limit(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(rate_limit_auth="4/minute"))
    async with gw.http:
        codes = []
        for i in range(10):
            if i % 2:
                r = await gw.http.post("/v1/auth/login", json=LOGIN, headers=_rotating(i))
            else:
                r = await gw.http.post("/oauth/token", data=FORM, headers=_rotating(i))
            codes.append(r.status_code)
    assert codes[4:] == [429] * 6
    assert 429 not in codes[:4]


async def test_g7_a_trusted_proxy_names_the_client(gateway_connection: AsyncConnection) -> None:
    gw = await make_gateway(
        gateway_connection,
        gateway_settings(rate_limit_auth="2/minute", trusted_proxies=("127.0.0.1/32",)),
    )
    async with gw.http:

        async def token(xff: str) -> int:
            r = await gw.http.post("/oauth/token", data=FORM, headers={"X-Forwarded-For": xff})
            return r.status_code

        assert [await token("192.0.2.1") for _ in range(3)] == [401, 401, 429]
        assert await token("192.0.2.2") == 401  # another client behind the proxy
        assert await token("6.6.6.6, 192.0.2.1") == 429  # a prepended hop is not believed
        # the services are told the same client
        headers = await gw.bearer(("actions:read",))
        await gw.http.get("/v1/actions", headers=headers | {"X-Forwarded-For": "192.0.2.9"})
        assert gw.upstream.requests[-1].headers["x-forwarded-for"] == "192.0.2.9"


def test_g7_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="trusted proxy"):
        gateway_settings(trusted_proxies=("not-an-address",))
    assert gateway_settings(trusted_proxies='["10.0.0.0/8", "::1"]').trusted_proxies == (
        "10.0.0.0/8",
        "::1",
    )


def _cli(args: list[str]) -> dict[str, object]:
    return dict(uvicorn.main.make_context("uvicorn", list(args)).params)


async def test_g7_uvicorn_as_the_platform_starts_it_does_not_trust_the_header(
    gateway_connection: AsyncConnection,
) -> None:
    """The gateway served by uvicorn with the local stack's own arguments, over a socket
    from 127.0.0.1 (which uvicorn trusts by default)."""
    gw = await make_gateway(gateway_connection, gateway_settings(rate_limit_auth="3/minute"))
    port = free_port()
    params = _cli(uvicorn_args("gateway", port))
    config = uvicorn.Config(
        gw.app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        proxy_headers=bool(params["proxy_headers"]),
        forwarded_allow_ips=params["forwarded_allow_ips"],  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):  # started, or failed to
            if server.started or serving.done():
                break
            await asyncio.sleep(0.02)
        assert server.started
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            codes = [
                (await client.post("/oauth/token", data=FORM, headers=_rotating(i))).status_code
                for i in range(6)
            ]
    finally:
        server.should_exit = True
        await serving
    assert codes == [401, 401, 401, 429, 429, 429]


def test_g7_deployed_uvicorn_commands_do_not_trust_proxy_headers() -> None:
    commands = []
    for document in yaml.safe_load_all((ROOT / "deploy/k8s/services.yaml").read_text()):
        for container in (
            (document or {})
            .get("spec", {})
            .get("template", {})
            .get("spec", {})
            .get("containers", [])
        ):
            if container.get("command", [""])[0] == "uvicorn":
                commands.append(container["command"][1:])
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    shell = re.search(r"exec uvicorn ([^\"]+)", dockerfile)
    assert shell is not None
    command = shell.group(1).replace("${SERVICE}", "gateway").replace("${PORT}", "8000")
    commands.append(shlex.split(command))
    assert len(commands) == 6
    for command in commands:
        assert _cli(command)["proxy_headers"] is False, command
