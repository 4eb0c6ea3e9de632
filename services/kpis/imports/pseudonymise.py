"""Child identifiers and staff names replaced by keyed hashes (HMAC-SHA256).

The key comes from settings and is never stored or logged. The same key gives the same
pseudonym, so a child's records from different files line up; without the key the pseudonym
cannot be reversed or recomputed from a guessed identifier.

A column of identifiers is hashed by the ``polars-hash`` plugin (RFC 2104 HMAC-SHA256 in
Rust, over the whole column at once, ~0.4 µs an identifier here against ~1.6 µs for the
tightest Python loop over ``hashlib``); :meth:`Pseudonymiser.child` computes the same value
with the standard library (tests compare the two).
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import polars_hash as plh

from services.kpis.imports.config import ImportSettings

CHILD_PREFIX = "child:"
STAFF_PREFIX = "staff:"
#: what :meth:`Pseudonymiser.staff` makes: the org-unit code of a worker (staff level)
STAFF_CODE_PATTERN = r"^W-[0-9A-Fa-f]{12}$"
#: distinct staff names whose codes one import keeps (a few hundred in a real export)
STAFF_CACHE_LIMIT = 50_000


class Pseudonymiser:
    """``child(x)`` = HMAC(key, "child:" + x)[:32 hex]; ``staff(x)`` = ``W-`` + the first
    12 hex digits of HMAC(key, "staff:" + folded name), upper case."""

    def __init__(self, key: str | bytes) -> None:
        # the plugin takes the key as text; settings always give text
        self._text_key = key.decode() if isinstance(key, bytes) else key
        self._key = self._text_key.encode()
        self._staff_cache: dict[str, str] = {}

    def __repr__(self) -> str:  # never shows the key
        return "Pseudonymiser(key=<hidden>)"

    @classmethod
    def from_settings(cls, settings: ImportSettings) -> Pseudonymiser:
        return cls(settings.pseudonymisation_key.get_secret_value())

    def child(self, identifier: str) -> str:
        message = (CHILD_PREFIX + identifier.strip()).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def staff(self, name: str) -> str:
        """A staff code: ``W-`` and 12 hex digits of the keyed hash of the folded name."""
        folded = " ".join(name.split()).casefold()
        digest = hmac.new(self._key, (STAFF_PREFIX + folded).encode(), hashlib.sha256)
        return "W-" + digest.hexdigest()[:12].upper()

    def child_column(self, column: pl.Series) -> pl.Series:
        """Pseudonymise a column of (already trimmed) identifiers; nulls stay null.

        Every value is hashed where it stands: at this speed a cache of pseudonyms already
        made costs more than it saves, and memory stays that of the block being read.
        """
        keyed = plh.concat_str(pl.lit(CHILD_PREFIX), pl.col("c")).chash.hmac_sha256(
            key=self._text_key
        )
        return column.to_frame("c").select(keyed.str.slice(0, 32).alias(column.name)).to_series()

    def staff_column(self, column: pl.Series) -> pl.Series:
        """Staff codes for a column of names (a few hundred distinct: cached per import)."""
        uniques = column.drop_nulls().unique()
        if uniques.len() == 0:
            return pl.Series(column.name, [None] * column.len(), dtype=pl.String)
        codes = []
        for name in uniques.to_list():
            code = self._staff_cache.get(name)
            if code is None:
                code = self._staff_cache[name] = self.staff(name)
            codes.append(code)
        if len(self._staff_cache) > STAFF_CACHE_LIMIT:
            self._staff_cache.clear()
        return column.replace_strict(uniques, codes, default=None, return_dtype=pl.String)
