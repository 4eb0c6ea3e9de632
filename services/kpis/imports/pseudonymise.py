"""Child identifiers and staff names replaced by keyed hashes (HMAC-SHA256).

The key comes from settings and is never stored or logged. The same key gives the same
pseudonym, so a child's records from different files line up; without the key the pseudonym
cannot be reversed or recomputed from a guessed identifier.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl

from services.kpis.imports.config import ImportSettings

BLOCK = 64  # SHA-256 block size


class Pseudonymiser:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once.

    ``child(x)`` = HMAC(key, "child:" + x); ``staff(x)`` = HMAC(key, "staff:" + x). The
    padded-key states are precomputed so each identifier costs two SHA-256 continuations,
    not the ``hmac`` module's per-call setup; the result is the standard HMAC (tested).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) > BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._inner_child = self._inner.copy()
        self._inner_child.update(b"child:")
        self._inner_staff = self._inner.copy()
        self._inner_staff.update(b"staff:")

    def _mac(self, inner_state: Any, message: bytes) -> str:
        inner = inner_state.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return str(outer.hexdigest())

    @classmethod
    def from_settings(cls, settings: ImportSettings) -> Pseudonymiser:
        return cls(settings.pseudonymisation_key.get_secret_value().encode())

    def child(self, identifier: str) -> str:
        return self._mac(self._inner_child, identifier.strip().encode())[:32]

    def staff(self, name: str) -> str:
        """A staff code: ``W-`` and 12 hex digits of the keyed hash of the folded name."""
        folded = " ".join(name.split()).casefold()
        return "W-" + self._mac(self._inner_staff, folded.encode())[:12].upper()

    def child_column(self, column: pl.Series) -> pl.Series:
        """Pseudonymise a column, hashing each distinct identifier once."""
        uniques = column.drop_nulls().unique()
        values = uniques.to_list()
        hashed: list[str] = []
        inner, outer = self._inner_child, self._outer
        for value in values:
            first = inner.copy()
            first.update(value.encode())
            second = outer.copy()
            second.update(first.digest())
            hashed.append(second.hexdigest()[:32])
        mapping = pl.DataFrame(
            {"k": uniques, "v": hashed},
            schema={"k": column.dtype, "v": pl.String},
        )
        return (
            column.to_frame("k")
            .join(mapping, on="k", how="left", maintain_order="left")["v"]
            .rename(column.name)
        )

    def staff_column(self, column: pl.Series) -> pl.Series:
        uniques = column.drop_nulls().unique()
        mapping = pl.DataFrame(
            {"k": uniques, "v": [self.staff(v) for v in uniques.to_list()]},
            schema={"k": column.dtype, "v": pl.String},
        )
        return (
            column.to_frame("k")
            .join(mapping, on="k", how="left", maintain_order="left")["v"]
            .rename(column.name)
        )
