"""The hash chain, independent of storage.

Each event's document is its stored fields in RFC 8785 canonical JSON; its link is
``hash = SHA-256(previous hash (32 bytes) ‖ canonical JSON)``, hex-encoded. The first event
chains on 32 zero bytes. ``seq`` is part of the document, so reordering breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

GENESIS = "0" * 64

#: The fields hashed, in the stored row's names.
FIELDS = (
    "seq",
    "event_id",
    "source",
    "event_type",
    "entity_type",
    "entity_id",
    "occurred_at",
    "recorded_at",
    "actor",
    "request_id",
    "purpose",
    "payload",
)


SAFE_INT = 2**53


def timestamp(value: datetime) -> str:
    """UTC, microseconds, ``Z``: the one spelling of a time in the chain.

    A naive time is only ever the driver's reading of a stored ``±infinity`` (no event is
    appended with one: the ingest refuses it), so it can only be there by tampering: it is
    spelled as such, its link then breaks and verify names it instead of failing."""
    if value.tzinfo is None:
        return "-infinity" if value == datetime.min else "infinity"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _plain(value: Any) -> bool:
    """True when ``json.dumps`` already writes RFC 8785: no floats, ASCII keys, safe ints."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -SAFE_INT < value < SAFE_INT
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``.

    For documents without floats and with ASCII keys, the standard library's sorted, compact,
    non-ASCII-preserving output is byte-for-byte the RFC 8785 form (same escapes, same key
    order, same integers) and several times faster; anything else goes to ``rfc8785``.
    A property test holds the two equal.
    """
    if _plain(value):
        try:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: let rfc8785 refuse them
            pass
    return rfc8785.dumps(value)


def document(row: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in FIELDS:
        value = row[name]
        if isinstance(value, datetime):
            value = timestamp(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        doc[name] = value
    return doc


def canonical(row: Mapping[str, Any]) -> bytes:
    return canonical_json(document(row))


def link(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(row)).hexdigest()


#: The document's last keys in RFC 8785 order: what is known only under the chain lock
#: (``recorded_at``, ``seq``) and what sorts after it. Every other key sorts before them.
LATE = ("recorded_at", "request_id", "seq", "source")
assert sorted(FIELDS)[-len(LATE) :] == list(LATE)


@dataclass(frozen=True)
class Early:
    """An event's canonical document cut around the fields known only under the lock.

    RFC 8785 writes an object as its members in key order, so the document is ``head`` (the
    canonical JSON of the fields before ``recorded_at``, its ``}`` replaced by the next key)
    + recorded_at + ``middle`` (request_id, then the ``seq`` key) + seq + ``tail`` (source).
    ``head`` holds the costly part (actor and payload); it is built before the lock."""

    head: bytes
    middle: bytes
    tail: bytes


def early(row: Mapping[str, Any]) -> Early:
    """``row`` without ``seq`` and ``recorded_at`` (they are filled in by ``late_link``)."""
    first = canonical_json({name: _value(row[name]) for name in FIELDS if name not in LATE})
    middle = canonical_json(_value(row["request_id"]))
    tail = canonical_json(_value(row["source"]))
    return Early(
        head=first[:-1] + b',"recorded_at":',
        middle=b',"request_id":' + middle + b',"seq":',
        tail=b',"source":' + tail + b"}",
    )


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def late_link(prev: bytes, parts: Early, recorded_at: bytes, seq: int) -> bytes:
    """The SHA-256 digest of the link: ``prev`` digest ‖ the document completed by the lock's
    ``recorded_at`` (canonical JSON, e.g. ``"2026-…Z"``) and ``seq``."""
    return hashlib.sha256(
        b"".join((prev, parts.head, recorded_at, parts.middle, str(seq).encode(), parts.tail))
    ).digest()


@dataclass(frozen=True)
class Break:
    """The first broken link: where and why."""

    seq: int
    reason: str
    event_id: str | None = None
    stored_hash: str | None = None
    expected_hash: str | None = None


@dataclass
class ChainWalker:
    """Feed rows in ``seq`` order; stops at the first broken link."""

    expected_seq: int = 1
    prev_hash: str = GENESIS
    checked: int = 0
    broken: Break | None = None
    watch: set[int] = field(default_factory=set)
    seen: dict[int, str] = field(default_factory=dict)
    #: False: every link goes through ``link`` (a subclass watching each document)
    inline: bool = True

    def feed(self, row: Mapping[str, Any]) -> bool:
        seq = int(row["seq"])
        if seq != self.expected_seq:
            return self.gap(seq)
        return self.link(seq, row["hash"], row["event_id"], canonical(row))

    def gap(self, seq: int) -> bool:
        """The next stored event is ``seq`` where ``expected_seq`` was due: a break."""
        if self.broken is None:
            self.broken = Break(
                seq=self.expected_seq,
                reason=f"event seq {self.expected_seq} is missing (next stored is {seq})",
            )
        return False

    def link(self, seq: int, stored_hash: str | None, event_id: Any, document: bytes) -> bool:
        """Event ``seq`` (the expected one) with its canonical ``document`` and stored hash."""
        if self.broken is not None:
            return False
        expected = hashlib.sha256(bytes.fromhex(self.prev_hash) + document).hexdigest()
        if expected != stored_hash:
            self.broken = Break(
                seq=seq,
                reason="hash does not match the event's content and its predecessor",
                event_id=str(event_id),
                stored_hash=stored_hash,
                expected_hash=expected,
            )
            return False
        if seq in self.watch:
            self.seen[seq] = expected
        self.prev_hash = expected
        self.expected_seq += 1
        self.checked += 1
        return True
