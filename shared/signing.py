"""Signing documents as the platform signs releases: ECDSA P-256 (ES256) over the RFC 8785
canonical JSON of a manifest, the signature base64; a key id is the first 16 hex digits of
the SHA-256 of the public key (DER). The one scheme: the kpis service's releases
(``services/kpis/releases/signing.py`` gives it the service's key) and the board's packs.

:func:`verify_with_public_key` needs only the public key (PEM), so a pack or an archive can
be checked offline by anyone holding it.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"


def canonical(document: Any) -> bytes:
    """RFC 8785 canonical JSON."""
    return rfc8785.dumps(document)


def digest(document: Any) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


class ManifestSigner:
    def __init__(self, private_key_pem: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the signing key must be an EC (P-256) private key")
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
        signature = self._key.sign(canonical(manifest), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()

    def verify(self, manifest: dict[str, Any], signature: str) -> bool:
        return verify_with_public_key(self.public_pem, manifest, signature)


def verify_with_public_key(public_pem: str, manifest: dict[str, Any], signature: str) -> bool:
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(base64.b64decode(signature), canonical(manifest), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


@cache
def ephemeral_key() -> str:
    """A P-256 key made once per process (profiles local and test only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
