"""The chain's canonical documents built straight from PostgreSQL's ``COPY … TO STDOUT`` text.

``verify`` reads the chain as COPY text (``repository.copy_chain``: the columns of
:data:`COLUMNS`, timestamps in UTC as ISO text) instead of row objects, and builds each
event's RFC 8785 document from the text fields: strings are JSON-escaped as they are, times
rewritten into the chain's one spelling, and the two JSON columns canonicalised from their
text once per distinct text (a small cache: actors repeat). The document is byte-identical to
``chain.canonical`` of the row as SQLAlchemy reads it (tests hold the two equal on awkward
values); a row whose text this module is not sure of (a time outside ``0001``–``9999``,
``infinity``) is left to the reference path (``feed_lines`` returns its seq).
"""

from __future__ import annotations

import hashlib
import json
import re
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

from services.audit.trail.chain import FIELDS, ChainWalker, canonical_json

#: The columns of the COPY, in this order (``repository.copy_chain`` selects them).
COLUMNS = ("seq", "hash", *FIELDS[1:])  # the hashed fields, the stored hash after seq
NULL = "\\N"  # COPY text's NULL: a real backslash is always escaped, so no value reads so

#: The document's keys in RFC 8785 order (ASCII: plain sort) and the fields filling them.
_ORDER = sorted(FIELDS)
TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _ORDER) + "}"
assert _ORDER == [
    "actor",
    "entity_id",
    "entity_type",
    "event_id",
    "event_type",
    "occurred_at",
    "payload",
    "purpose",
    "recorded_at",
    "request_id",
    "seq",
    "source",
], "feed_lines fills TEMPLATE in this order"

_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_CODES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
#: ISO text of a timestamp, by length: what completes it to ``…SS.ffffffZ``
_TIME_END = {19: '.000000Z"', 21: '00000Z"', 22: '0000Z"', 23: '000Z"', 24: '00Z"', 25: '0Z"'}
_TIME_END[26] = 'Z"'
SAFE_DIGITS = 15  # every integer of at most 15 digits lies within ±2^53


class _NotPlain(Exception):
    """A float (or NaN/Infinity) in a JSON text: RFC 8785 number formatting needed."""


def _refuse(_text: str) -> Any:
    raise _NotPlain


def _int(text: str) -> int:
    if len(text.lstrip("-")) > SAFE_DIGITS:
        raise _NotPlain
    return int(text)


def _no_default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# The standard library's C scanner and encoder, built once (``json.loads``/``json.dumps``
# build them on every call): the same output as ``json.dumps(value, sort_keys=True,
# separators=(",", ":"), ensure_ascii=False)``.
_scan = c_make_scanner(
    json.JSONDecoder(parse_float=_refuse, parse_int=_int, parse_constant=_refuse)
)
_encode = c_make_encoder(None, _no_default, encode_basestring, None, ":", ",", True, False, True)


def unescape(field: str) -> str:
    """COPY text's backslash escapes undone (``\\n``, ``\\t``, ``\\\\``, …)."""
    return _ESCAPED.sub(lambda m: _CODES.get(m.group(1), m.group(1)), field)


def canonical_text(text: str) -> str:
    """RFC 8785 form of a JSON text, equal to ``chain.canonical_json(json.loads(text))``.

    ASCII text without ``\\u`` escapes, floats or integers of 16+ digits decodes to exactly
    the values ``chain.canonical_json`` writes with the standard library (ASCII keys, no
    floats, integers within ±2^53; the scanner refuses the rest as it meets them), so that
    encoder is used directly; anything else goes through ``canonical_json`` itself.
    """
    if text.isascii() and "\\u" not in text:
        try:
            value, end = _scan(text, 0)
        except (_NotPlain, StopIteration):
            pass
        else:
            if end == len(text):
                return "".join(_encode(value, 0))
    return canonical_json(json.loads(text)).decode("utf-8")


class JsonCache:
    """Canonical forms of JSON texts, bounded (cleared when full): memory stays flat."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.known: dict[str, str] = {NULL: "null"}

    def __call__(self, text: str) -> str:
        found = self.known.get(text)
        if found is None:
            found = canonical_text(text)
            if len(self.known) >= self.size:
                self.known.clear()
                self.known[NULL] = "null"
            self.known[text] = found
        return found


def _string(value: str | None) -> str:
    return "null" if value is None else str(encode_basestring(value))


def _time(value: str | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS[.f…]`` (UTC) → ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"``; None: not sure."""
    if value is None:
        return "null"
    end = _TIME_END.get(len(value))
    if end is None or value[4] != "-" or value[10] != " ":
        return None  # e.g. ±infinity: the reference path decides
    return '"' + value[:10] + "T" + value[11:] + end


def document(f: list[str | None], cache: JsonCache) -> str | None:
    """The canonical document of one line's fields (escapes undone, None for NULL)."""
    occurred = _time(f[7])
    recorded = _time(f[8])
    if occurred is None or recorded is None:
        return None
    return TEMPLATE % (
        "null" if f[9] is None else cache(f[9]),
        _string(f[6]),
        _string(f[5]),
        _string(f[2]),
        _string(f[4]),
        occurred,
        "null" if f[12] is None else cache(f[12]),
        _string(f[11]),
        recorded,
        _string(f[10]),
        f[0],
        _string(f[3]),
    )


def feed_lines(walker: ChainWalker, lines: list[str], cache: JsonCache) -> int | None:
    """Feed COPY text lines (``COLUMNS``) to ``walker`` until it stops.

    Returns the seq of a line the text path is not sure of (the caller feeds that event
    through the reference path and reads on after it); None otherwise. The common line (no
    escapes, NULL only where the schema allows it, ordinary times) is built and hashed
    inline; anything else, and every mismatch, goes through ``walker.link``.
    """
    esc = encode_basestring
    ends = _TIME_END
    known = cache.known
    template = TEMPLATE
    sha256 = hashlib.sha256
    watch = walker.watch
    inline = walker.inline
    expected_seq = walker.expected_seq
    prev_hex = walker.prev_hash
    prev = bytes.fromhex(prev_hex)
    checked = 0
    unsure: int | None = None
    for line in lines:
        f = line.split("\t")
        seq = int(f[0])
        if seq != expected_seq:
            walker.expected_seq, walker.prev_hash = expected_seq, prev_hex
            walker.checked += checked
            walker.gap(seq)
            return None
        nulls = f.count(NULL)
        request_id = f[10]
        purpose = f[11]
        occurred = f[7]
        recorded = f[8]
        end_o = ends.get(len(occurred))
        end_r = ends.get(len(recorded))
        if (
            nulls == (request_id == NULL) + (purpose == NULL)
            and line.count("\\") == nulls
            and end_o is not None
            and end_r is not None
            and occurred[4] == recorded[4] == "-"
            and occurred[10] == recorded[10] == " "
        ):
            doc = template % (
                known.get(f[9]) or cache(f[9]),
                esc(f[6]),
                esc(f[5]),
                '"' + f[2] + '"',
                esc(f[4]),
                '"' + occurred[:10] + "T" + occurred[11:] + end_o,
                known.get(f[12]) or cache(f[12]),
                "null" if purpose == NULL else esc(purpose),
                '"' + recorded[:10] + "T" + recorded[11:] + end_r,
                "null" if request_id == NULL else esc(request_id),
                f[0],
                esc(f[3]),
            )
            digest = sha256(prev + doc.encode("utf-8"))
            hexed = digest.hexdigest()
            if hexed == f[1] and inline:  # the common case: the link holds
                prev, prev_hex = digest.digest(), hexed
                if seq in watch:
                    walker.seen[seq] = hexed
                expected_seq += 1
                checked += 1
                continue
            stored: str | None = f[1]
            event_id: str | None = f[2]
        else:  # NULLs anywhere, escapes or odd times: field by field
            g = [None if v == NULL else unescape(v) for v in f]
            built = document(g, cache)
            if built is None:
                unsure = seq
                break
            doc, stored, event_id = built, g[1], g[2]
        walker.expected_seq, walker.prev_hash = expected_seq, prev_hex
        walker.checked += checked
        checked = 0
        if not walker.link(seq, stored, event_id, doc.encode("utf-8")):
            return None
        expected_seq, prev_hex = walker.expected_seq, walker.prev_hash
        prev = bytes.fromhex(prev_hex)
    walker.expected_seq, walker.prev_hash = expected_seq, prev_hex
    walker.checked += checked
    return unsure


class CopyReader:
    """The ``output`` of a COPY: splits the stream into lines and feeds the walker."""

    def __init__(self, walker: ChainWalker, cache: JsonCache) -> None:
        self.walker = walker
        self.cache = cache
        self.rows = 0
        self.unsure: int | None = None
        self._partial: list[bytes] = []

    async def __call__(self, data: bytes) -> None:
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            self._partial.append(data)
            return
        if self._partial:
            data = b"".join([*self._partial, data])
            cut = data.rfind(b"\n") + 1
            self._partial = []
        if cut < len(data):
            self._partial.append(data[cut:])
        lines = data[:cut].decode("utf-8").split("\n")
        lines.pop()
        self.rows += len(lines)
        if self.walker.broken is None and self.unsure is None:
            self.unsure = feed_lines(self.walker, lines, self.cache)
