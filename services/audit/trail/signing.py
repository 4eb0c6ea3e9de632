"""The checkpoint signing key (Ed25519): the service's own, its public key published."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.config import AuditSettings


def statement(seq: int, hash_: str, created_at: str, key_id: str) -> bytes:
    """What a checkpoint signs: RFC 8785 JSON of its head, time and key."""
    body: dict[str, Any] = {"seq": seq, "hash": hash_, "created_at": created_at, "key_id": key_id}
    return rfc8785.dumps(body)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


class CheckpointVerifier:
    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key

    @classmethod
    def from_pem(cls, pem: str) -> CheckpointVerifier:
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("checkpoint public key must be Ed25519")
        return cls(key)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    @property
    def pem(self) -> str:
        return public_pem(self.public_key)

    def valid(self, seq: int, hash_: str, created_at: str, key_id: str, signature: str) -> bool:
        if key_id != self.key_id:
            return False
        try:
            self.public_key.verify(_unb64(signature), statement(seq, hash_, created_at, key_id))
        except (InvalidSignature, ValueError):
            return False
        return True


class CheckpointSigner(CheckpointVerifier):
    """Signs with the service's key; checks with it and any earlier (rotated) public keys."""

    def __init__(
        self, private_key: Ed25519PrivateKey, trusted: tuple[CheckpointVerifier, ...] = ()
    ) -> None:
        super().__init__(private_key.public_key())
        self._private = private_key
        self.trusted = {v.key_id: v for v in (*trusted, self)}

    def check(
        self, seq: int, hash_: str, created_at: str, key_id: str, signature: str
    ) -> bool | None:
        """True: a known key signed it; False: known key, bad signature; None: unknown key."""
        known = self.trusted.get(key_id)
        if known is None:
            return None
        return known.valid(seq, hash_, created_at, key_id, signature)

    @classmethod
    def from_settings(cls, settings: AuditSettings) -> CheckpointSigner:
        trusted = tuple(CheckpointVerifier.from_pem(p) for p in settings.checkpoint_trusted_keys)
        if settings.checkpoint_signing_key is None:
            if not settings.relaxed:
                raise RuntimeError("AUDIT_CHECKPOINT_SIGNING_KEY is required")
            return cls(Ed25519PrivateKey.generate(), trusted)
        pem = settings.checkpoint_signing_key.get_secret_value().encode()
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("AUDIT_CHECKPOINT_SIGNING_KEY must be an Ed25519 private key")
        return cls(key, trusted)

    def sign(self, seq: int, hash_: str, created_at: str) -> str:
        return _b64(self._private.sign(statement(seq, hash_, created_at, self.key_id)))


def generate_pem() -> str:
    """A new signing key as PEM (for deployments: ``AUDIT_CHECKPOINT_SIGNING_KEY``)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
