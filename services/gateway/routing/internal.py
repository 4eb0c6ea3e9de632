"""Internal tokens for forwarded requests, cached per caller and audience.

Signing ES256 costs far more than a dictionary lookup, so a token is reused for the same
caller and service until it has less than ``REUSE_MARGIN_S`` to live. The token names the
caller; the request id travels in ``X-Request-ID`` (a cached token cannot carry it).
"""

from __future__ import annotations

import dataclasses
import time

from shared.identity import Caller, InternalTokenMinter

REUSE_MARGIN_S = 15
CACHE_LIMIT = 50_000


class InternalTokens:
    def __init__(self, minter: InternalTokenMinter, lifetime_s: int = 60) -> None:
        self._minter = minter
        self._lifetime = lifetime_s
        self._cache: dict[tuple[object, ...], tuple[str, float]] = {}

    def token_for(self, caller: Caller, audience: str) -> str:
        key = (
            caller.subject,
            caller.agency,
            caller.roles,
            caller.scopes,
            caller.client_id,
            caller.kind,
            audience,
        )
        now = time.time()
        hit = self._cache.get(key)
        if hit is not None and hit[1] - now > REUSE_MARGIN_S:
            return hit[0]
        token = self._minter.mint(
            dataclasses.replace(caller, request_id=None), audience, lifetime_s=self._lifetime
        )
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (token, now + self._lifetime)
        return token
