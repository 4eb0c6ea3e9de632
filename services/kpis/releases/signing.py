"""Signing and verifying release manifests (ECDSA P-256 over RFC 8785 canonical JSON)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.kpis.config import KpisSettings


class ReleaseSigner:
    def __init__(self, private_key_pem: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the release signing key must be an EC private key")
        self._key = key
        public = key.public_key()
        self.public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.key_id = hashlib.sha256(der).hexdigest()[:16]

    def sign(self, manifest: dict[str, Any]) -> str:
        signature = self._key.sign(rfc8785.dumps(manifest), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()

    def verify(self, manifest: dict[str, Any], signature: str) -> bool:
        try:
            self._key.public_key().verify(
                base64.b64decode(signature), rfc8785.dumps(manifest), ec.ECDSA(hashes.SHA256())
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


@cache
def _ephemeral_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def signer_for(settings: KpisSettings) -> ReleaseSigner:
    """The service's signer: its configured key, or (local/test only) one per process."""
    if settings.release_signing_key is not None:
        return ReleaseSigner(settings.release_signing_key.get_secret_value())
    if not settings.relaxed:
        raise ValueError("KPIS_RELEASE_SIGNING_KEY is required outside local/test")
    return ReleaseSigner(_ephemeral_key())
