"""Acting as the gateway in service tests: an internal signing key and callers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

from shared.devtools.stack import generate_ec_key
from shared.identity import Caller, InternalTokenMinter

ISSUER = "improvement-platform-gateway"


@cache
def internal_keys() -> tuple[str, str]:
    return generate_ec_key()


def minter() -> InternalTokenMinter:
    private, _public = internal_keys()
    return InternalTokenMinter(private, kid="test-internal", issuer=ISSUER)


#: the front-end client every person's token names (services/gateway/users/service.py)
WEB_CLIENT_ID = "platform-web"


def caller(
    agency: str = "council",
    roles: tuple[str, ...] = ("viewer",),
    scopes: tuple[str, ...] = (),
    subject: str | None = None,
    kind: str = "user",
) -> Caller:
    """A caller as the gateway names it in the internal token.

    A person (``kind="user"``, logged in through the front end): subject = username,
    ``client_id`` = the one web client shared by everyone, roles, no scopes. A machine
    client (``kind="client"``, client credentials): subject = ``client_id`` = the
    client's id, its scopes, no roles (services/gateway/tokens/grant.py).
    """
    if kind == "client":
        client_id = subject or f"{agency}-client"
        return Caller(
            subject=client_id,
            agency=agency,
            roles=frozenset(roles),
            scopes=frozenset(scopes),
            client_id=client_id,
            kind="client",
        )
    return Caller(
        subject=subject or f"{agency}-{'-'.join(roles) or 'user'}",
        agency=agency,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        client_id=WEB_CLIENT_ID,
        kind=kind,
    )


def auth_header(who: Caller, audience: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {minter().mint(who, audience)}"}


class FreshAuth(Mapping[str, str]):
    """Headers that mint a new internal token each time they are read.

    Internal tokens live at most 60 s, so headers built once at import time expire during a
    long run; this mapping can be built once and used by every test."""

    def __init__(self, who: Caller, audience: str) -> None:
        self.who = who
        self.audience = audience

    def __getitem__(self, key: str) -> str:
        return auth_header(self.who, self.audience)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization",))

    def __len__(self) -> int:
        return 1
