"""The chain's canonical JSON is RFC 8785, byte for byte (fast path or not)."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from services.audit.trail.chain import canonical_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _reference(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return None


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), documents, max_size=6))
def test_canonical_json_equals_rfc8785(doc: dict[str, Any]) -> None:
    expected = _reference(doc)
    if expected is None:
        with pytest.raises((rfc8785.CanonicalizationError, UnicodeEncodeError)):
            canonical_json(doc)
    else:
        assert canonical_json(doc) == expected


def test_known_forms() -> None:
    assert canonical_json({"b": 1, "a": "é\u2028\x1f", "c": [True, None]}) == rfc8785.dumps(
        {"b": 1, "a": "é\u2028\x1f", "c": [True, None]}
    )
    assert canonical_json({"x": 1e16, "y": 1e-7}) == b'{"x":10000000000000000,"y":1e-7}'


@settings(max_examples=100, deadline=None)
@given(
    actor=st.dictionaries(st.text(max_size=8), documents, max_size=4),
    payload=st.dictionaries(st.text(max_size=8), documents, max_size=6),
    text=st.text(max_size=12),
    maybe=st.none() | st.text(max_size=12),
    seq=st.integers(min_value=1, max_value=2**53 - 1),
    micros=st.integers(min_value=0, max_value=999_999),
)
def test_a_link_made_in_two_parts_equals_chain_link(
    actor: dict[str, Any],
    payload: dict[str, Any],
    text: str,
    maybe: str | None,
    seq: int,
    micros: int,
) -> None:
    """The ingest's early part (before the lock) + late part (seq, recorded_at) = ``link``."""
    import uuid
    from datetime import UTC, datetime

    from services.audit.trail.chain import GENESIS, early, late_link, link, timestamp

    when = datetime(2026, 12, 4, 8, 0, 0, micros, tzinfo=UTC)
    row = {
        "event_id": uuid.UUID(int=seq),
        "source": "actions",
        "event_type": text or "x",
        "entity_type": "action",
        "entity_id": text,
        "occurred_at": when,
        "actor": actor,
        "request_id": maybe,
        "purpose": maybe,
        "payload": payload,
    }
    try:
        expected = link(GENESIS, {**row, "seq": seq, "recorded_at": when})
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        with pytest.raises((rfc8785.CanonicalizationError, UnicodeEncodeError)):
            early(row)
        return
    recorded = f'"{timestamp(when)}"'.encode()
    assert late_link(bytes(32), early(row), recorded, seq).hex() == expected
