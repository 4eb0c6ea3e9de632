"""Key material: what each key is, and how a new one is made."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def _pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def generate_ec_key() -> tuple[str, str]:
    """A new P-256 key pair as (private PEM, public PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return _pem(key), public


def generate_ed25519_key() -> str:
    return _pem(ed25519.Ed25519PrivateKey.generate())


def random_secret() -> str:
    """32 random bytes, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Item:
    """One generated file: its name, what reads it, and where it goes in compose and k8s."""

    file: str
    env: str  # variable in the compose env file
    secret: str  # Kubernetes Secret name
    secret_key: str  # key inside that Secret
    reads: str  # who reads it, as the environment variable it is given as


def items(relaying: tuple[str, ...], databases: tuple[str, ...]) -> tuple[Item, ...]:
    """Everything ``generate`` writes. ``relaying``: services with an outbox relay client;
    ``databases``: services with a database role."""
    made = [
        Item(
            "internal-jwt-private.pem",
            "INTERNAL_JWT_PRIVATE_KEY",
            "platform-internal-jwt",
            "private.pem",
            "GATEWAY_INTERNAL_JWT_PRIVATE_KEY",
        ),
        Item(
            "internal-jwt-public.pem",
            "INTERNAL_JWT_PUBLIC_KEY",
            "platform-internal-jwt",
            "public.pem",
            "<SERVICE>_INTERNAL_JWT_PUBLIC_KEY",
        ),
        Item(
            "kpis-release-signing.pem",
            "KPIS_RELEASE_SIGNING_KEY",
            "platform-signing",
            "kpis-release.pem",
            "KPIS_RELEASE_SIGNING_KEY",
        ),
        Item(
            "audit-checkpoint-signing.pem",
            "AUDIT_CHECKPOINT_SIGNING_KEY",
            "platform-signing",
            "audit-checkpoint.pem",
            "AUDIT_CHECKPOINT_SIGNING_KEY",
        ),
        Item(
            "board-pack-signing.pem",
            "BOARD_PACK_SIGNING_KEY",
            "platform-signing",
            "board-pack.pem",
            "BOARD_PACK_SIGNING_KEY",
        ),
        Item(
            "kpis-pseudonymisation.key",
            "KPIS_PSEUDONYMISATION_KEY",
            "platform-signing",
            "pseudonymisation-key",
            "KPIS_PSEUDONYMISATION_KEY",
        ),
        Item(
            "gateway-key-wrapping.key",
            "GATEWAY_KEY_WRAPPING_KEY",
            "platform-signing",
            "gateway-key-wrapping",
            "GATEWAY_KEY_WRAPPING_KEY",
        ),
        Item(
            "kpis-webhook.key",
            "KPIS_WEBHOOK_KEY",
            "platform-signing",
            "kpis-webhook-key",
            "KPIS_WEBHOOK_KEY",
        ),
    ]
    made += [
        Item(
            f"relay-{s}.secret",
            f"{s.upper()}_RELAY_SECRET",
            "platform-relay",
            s,
            f"{s.upper()}_RELAY_CLIENT_SECRET and BOOTSTRAP_RELAY_{s.upper()}_SECRET",
        )
        for s in relaying
    ]
    # the board's client reading the other services through the gateway (a service identity)
    made.append(
        Item(
            "board-reader.secret",
            "BOARD_READER_SECRET",
            "platform-relay",
            "board-reader",
            "BOARD_READER_CLIENT_SECRET",
        )
    )
    made += [
        Item(
            f"db-{s}.password",
            f"{s.upper()}_DB_PASSWORD",
            "platform-db",
            f"{s}-password",
            f"BOOTSTRAP_{s.upper()}_PASSWORD and the password in {s.upper()}_DATABASE_URL",
        )
        for s in databases
    ]
    return tuple(made)


def new_values(names: set[str]) -> dict[str, str]:
    """New contents for the named files (the internal key pair is made together)."""
    makers: dict[str, Callable[[], str]] = {
        "kpis-release-signing.pem": lambda: generate_ec_key()[0],
        "audit-checkpoint-signing.pem": generate_ed25519_key,
        "board-pack-signing.pem": lambda: generate_ec_key()[0],
    }
    values: dict[str, str] = {}
    if names & {"internal-jwt-private.pem", "internal-jwt-public.pem"}:
        private, public = generate_ec_key()
        values |= {"internal-jwt-private.pem": private, "internal-jwt-public.pem": public}
    for name in names - set(values):
        values[name] = makers.get(name, random_secret)()
    return values
