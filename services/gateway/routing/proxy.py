"""What forwarding keeps from a request and an answer (the hot path forwards them:
``routing/hotpath.py`` over ``routing/upstream.py``).

Caller-sent identity and forwarding headers are dropped; the request id the gateway settled
on is passed on; an upstream's own address in a ``Location`` becomes the gateway's.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Headers only the gateway may set on a forwarded request.
STRIPPED_REQUEST = HOP_BY_HOP | {
    "authorization",
    "cookie",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
    "x-agency",
    "x-caller",
    "x-internal-token",
    "x-user",
    "x-roles",
    "x-scopes",
    "x-client-id",
}
#: Header families only the gateway may set (any member, present or future).
STRIPPED_PREFIXES = ("x-internal-", "x-forwarded-", "x-original-", "x-real-", "x-auth-")
STRIPPED_RESPONSE = HOP_BY_HOP | {"server", "date"}


def public_header(name: str, value: str, base_url: str) -> str:
    """A response header as the caller may see it: a ``Location`` on the upstream's own
    address becomes a reference relative to the gateway's (issue 18 item 3)."""
    if name.lower() != "location":
        return value
    target, upstream = urlsplit(value), urlsplit(base_url)
    if (target.scheme, target.netloc) != (upstream.scheme, upstream.netloc):
        return value
    return urlunsplit(("", "", target.path or "/", target.query, target.fragment))
