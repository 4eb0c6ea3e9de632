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
