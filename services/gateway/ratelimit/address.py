"""The client's address, as the gateway decides it (token and login limits key on it).

Forwarding headers are believed only when the socket peer is a configured trusted proxy
(``GATEWAY_TRUSTED_PROXIES``, default none): then the header's hops are read from the right,
skipping trusted proxies, and the first untrusted hop is the client (hops further left were
written by the client itself and are never believed). With no trusted proxy the socket
address is the client, whatever the headers say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_ip(value: str) -> Address | None:
    """An address out of a header hop: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``"..."``."""
    value = value.strip().strip('"').strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _forwarded_for(values: Iterable[str]) -> list[str]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` headers, in order."""
    hops = []
    for value in values:
        for element in value.split(","):
            found = ""
            for pair in element.split(";"):
                name, _, content = pair.partition("=")
                if name.strip().lower() == "for":
                    found = content
            hops.append(found)
    return hops


def _x_forwarded_for(values: Iterable[str]) -> list[str]:
    return [hop for value in values for hop in value.split(",")]


class ClientAddress:
    def __init__(self, trusted: Iterable[Network], header: str = "x-forwarded-for") -> None:
        self.trusted = tuple(trusted)
        self.header = header.lower().encode("latin-1")

    def _trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer_text = str(client[0]) if client else UNKNOWN
        if not self.trusted:  # no trusted proxy: the socket address, whatever the headers say
            return peer_text
        peer = parse_ip(peer_text)
        if peer is None or not self._trusted(peer):
            return peer_text
        values = [v.decode("latin-1") for k, v in scope["headers"] if k == self.header]
        hops = _forwarded_for(values) if self.header == b"forwarded" else _x_forwarded_for(values)
        address = peer
        for hop in reversed(hops):
            parsed = parse_ip(hop)
            if parsed is None:  # obfuscated or garbled: the last trusted proxy answers for it
                return str(address)
            address = parsed
            if not self._trusted(address):
                return str(address)
        return str(address)
