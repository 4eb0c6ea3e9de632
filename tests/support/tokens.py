"""Acting as the gateway in service tests: an internal signing key and callers."""

from __future__ import annotations

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


def caller(
    agency: str = "council",
    roles: tuple[str, ...] = ("viewer",),
    scopes: tuple[str, ...] = (),
    subject: str | None = None,
    kind: str = "user",
) -> Caller:
    return Caller(
        subject=subject or f"{agency}-{'-'.join(roles) or 'client'}",
        agency=agency,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        client_id=f"{agency}-client" if kind == "client" else None,
        kind=kind,
    )


def auth_header(who: Caller, audience: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {minter().mint(who, audience)}"}
