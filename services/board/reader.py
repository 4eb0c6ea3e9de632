"""The board's reader of the other services: HTTP through the gateway, as ``board-reader``
(OAuth 2.0 client credentials, read scopes only). Never their databases, never their code.

An answer the board cannot use (not 200) raises :class:`EvidenceUnavailable`, which the
routes turn into a 503 problem: a status is never computed from half the evidence.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from services.board.config import READER_SCOPES, BoardSettings
from shared.problems import ServiceUnavailable
from shared.relay import TOKEN_PATH, RelayError, TokenSource

PAGE = 200


class EvidenceUnavailable(ServiceUnavailable):
    """The gateway (or a service behind it) did not answer a read the board needs."""


class Reader(Protocol):
    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...

    async def items(self, path: str, params: dict[str, Any] | None = None) -> list[Any]: ...


class GatewayReader:
    """Reads ``/v1/...`` through the gateway with the board's own client."""

    def __init__(self, settings: BoardSettings, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient(base_url=settings.gateway_url, timeout=30.0)
        self._tokens = TokenSource(
            self._http,
            TOKEN_PATH,
            settings.reader_client_id,
            settings.reader_client_secret,
            scope=" ".join(READER_SCOPES),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        for attempt in (1, 2):
            try:
                token = await self._tokens.get()
            except (RelayError, httpx.HTTPError) as exc:
                raise EvidenceUnavailable("the board could not sign in to the gateway") from exc
            try:
                r = await self._http.get(
                    path, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError as exc:
                raise EvidenceUnavailable(f"the gateway did not answer {path}") from exc
            if r.status_code == 401 and attempt == 1:
                self._tokens.invalidate()
                continue
            if r.status_code != 200:
                raise EvidenceUnavailable(f"the gateway answered {r.status_code} for {path}")
            return r.json()
        raise EvidenceUnavailable(f"the gateway refused the board's token for {path}")

    async def items(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paged list (``Page``: items, total, limit, offset)."""
        found: list[Any] = []
        offset = 0
        while True:
            page = await self.get(path, {**(params or {}), "limit": PAGE, "offset": offset})
            if not (isinstance(page, dict) and isinstance(page.get("items"), list)):
                raise EvidenceUnavailable(f"{path} answered something other than a page")
            found.extend(page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return found
