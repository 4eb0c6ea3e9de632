"""One spelling of each path: the gateway judges, limits and forwards exactly the same one.

A path is refused (``refusal`` names why) when any spelling trick could make the path the
policy judged differ from the one a service acts on: a dot segment (``.``/``..``), an encoded
dot, slash, backslash or percent sign (``%2e``, ``%2f``, ``%5c``, ``%25``), a backslash, an
empty segment (``//``), a control character, or a decoded path that is not exactly the
decoding of the raw one. What passes is forwarded byte for byte as it arrived
(``forward_path``), so no client on the way re-normalises it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from starlette.types import Scope

#: Encoded characters that could change a path's segments once decoded (or decoded twice).
_ENCODED = re.compile(r"%(2e|2f|5c|25)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def raw_path(scope: Scope) -> str:
    """The path as it arrived on the wire (percent-encoding kept, no query)."""
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return quote(str(scope["path"]), safe="/:@!$&'()*+,;=-._~")


def refusal(scope: Scope) -> str | None:
    """Why the request's path is refused, or ``None`` when it has one spelling only."""
    raw = raw_path(scope)
    if not raw.startswith("/"):
        return "the path must start with a slash"
    if "\\" in raw or _ENCODED.search(raw):
        return "the path may not contain a backslash or an encoded dot, slash or percent sign"
    decoded = unquote(raw)
    if _CONTROL.search(decoded):
        return "the path may not contain control characters"
    if decoded != scope["path"]:
        return "the path is not the decoding of the path sent"
    segments = raw.split("/")[1:]
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            return "the path may not contain a dot segment"
        if segment == "" and index != len(segments) - 1:
            return "the path may not contain an empty segment"
    return None


def forward_path(scope: Scope) -> str:
    """The path to send upstream: the raw path the policy judged (see ``refusal``)."""
    return raw_path(scope)
