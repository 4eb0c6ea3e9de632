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
#: identifiers whose pseudonyms one import keeps for reuse (about 80 bytes each in polars)
CACHE_LIMIT = 250_000
HASH_SEED = 20261127


class Pseudonymiser:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once.

    ``child(x)`` = HMAC(key, "child:" + x); ``staff(x)`` = HMAC(key, "staff:" + x). The
    padded-key states are precomputed so each identifier costs two SHA-256 continuations,
    not the ``hmac`` module's per-call setup; the result is the standard HMAC (tested).
    """

    def __init__(self, key: bytes, cache_limit: int = CACHE_LIMIT) -> None:
        if len(key) > BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._inner_child = self._inner.copy()
        self._inner_child.update(b"child:")
        self._inner_staff = self._inner.copy()
        self._inner_staff.update(b"staff:")
        self.cache_limit = cache_limit
        self._cache = pl.DataFrame(schema={"k": pl.String, "h": pl.UInt64, "v": pl.String})
        self._staff_cache: dict[str, str] = {}

    def _mac(self, inner_state: Any, message: bytes) -> str:
        inner = inner_state.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return str(outer.hexdigest())

    @classmethod
    def from_settings(cls, settings: ImportSettings) -> Pseudonymiser:
        return cls(
            settings.pseudonymisation_key.get_secret_value().encode(),
            cache_limit=settings.pseudonym_cache_ids,
        )

    def child(self, identifier: str) -> str:
        return self._mac(self._inner_child, identifier.strip().encode())[:32]

    def staff(self, name: str) -> str:
        """A staff code: ``W-`` and 12 hex digits of the keyed hash of the folded name."""
        folded = " ".join(name.split()).casefold()
        return "W-" + self._mac(self._inner_staff, folded.encode())[:12].upper()

    def child_column(self, column: pl.Series) -> pl.Series:
        """Pseudonymise a column: each distinct identifier hashed once per import.

        Pseudonyms already made (by earlier blocks or other lists of the same import: a
        child appears in several lists) are reused from a cache of at most
        ``cache_limit`` identifiers, kept compactly in polars in this process's memory for
        the one import (never stored, never logged); past the limit the cache
        starts again, so memory stays bounded whatever the file's size.
        """
        uniques = column.drop_nulls().unique().rename("k")
        if uniques.len() == 0:
            return pl.Series(column.name, [None] * column.len(), dtype=pl.String)
        # looked up on a 64-bit hash of the identifier (fast), then checked on the text
        keys = uniques.to_frame().with_columns(pl.col("k").hash(seed=HASH_SEED).alias("h"))
        joined = keys.join(self._cache, on="h", how="left", suffix="_cached")
        hit = pl.col("k") == pl.col("k_cached")
        known = joined.filter(hit).select("k", "h", "v")
        if known.height < keys.height:
            if joined.height == keys.height:
                fresh = joined.filter(~hit.fill_null(False)).select("k", "h")
            else:  # two cached identifiers share a 64-bit hash
                fresh = keys.filter(~pl.col("k").is_in(known["k"].implode()))
            made = fresh.with_columns(self._hash_children(fresh["k"]).alias("v"))
            self._remember(made)
            known = pl.concat([known, made], how="vertical")
        if known["h"].n_unique() < known.height:  # a hash shared within the block
            return column.replace_strict(
                known["k"], known["v"], default=None, return_dtype=pl.String
            )
        looked_up = column.to_frame("k").with_columns(pl.col("k").hash(seed=HASH_SEED).alias("h"))
        joined_back = looked_up.join(
            known.select("h", "v"), on="h", how="left", maintain_order="left"
        )
        return joined_back.select(
            pl.when(pl.col("k").is_not_null()).then(pl.col("v")).alias(column.name)
        ).to_series()

    def _hash_children(self, identifiers: pl.Series) -> pl.Series:
        """HMAC of each identifier: the tightest loop Python allows (two state copies, two
        updates, two digests per identifier); hex-encoding is done by polars."""
        inner_copy, outer_copy = self._inner_child.copy, self._outer.copy
        digests: list[bytes] = []
        append = digests.append
        for value in identifiers.cast(pl.Binary).to_list():
            inner = inner_copy()
            inner.update(value)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest())
        return pl.Series("v", digests, dtype=pl.Binary).bin.encode("hex").str.slice(0, 32)

    def _remember(self, made: pl.DataFrame) -> None:
        if self._cache.height + made.height > self.cache_limit:
            self._cache = self._cache.clear()
        if made.height <= self.cache_limit:
            self._cache = self._cache.vstack(made)
            if self._cache.n_chunks() > 16:
                self._cache = self._cache.rechunk()

    def staff_column(self, column: pl.Series) -> pl.Series:
        uniques = column.drop_nulls().unique()
        if uniques.len() == 0:
            return pl.Series(column.name, [None] * column.len(), dtype=pl.String)
        codes = []
        for name in uniques.to_list():
            code = self._staff_cache.get(name)
            if code is None:
                code = self._staff_cache[name] = self.staff(name)
            codes.append(code)
        if len(self._staff_cache) > self.cache_limit:
            self._staff_cache.clear()
        return column.replace_strict(uniques, codes, default=None, return_dtype=pl.String)
