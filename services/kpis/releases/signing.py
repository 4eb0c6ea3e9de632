"""The release signer: the platform's one manifest-signing scheme (``shared.signing``: ECDSA
P-256 over RFC 8785 canonical JSON), with the service's own key."""

from __future__ import annotations

from services.kpis.config import KpisSettings
from shared.signing import ManifestSigner, digest, ephemeral_key

#: A release is signed as every manifest of the platform is.
ReleaseSigner = ManifestSigner

__all__ = ["ReleaseSigner", "digest", "signer_for"]


def signer_for(settings: KpisSettings) -> ReleaseSigner:
    """The service's signer: its configured key, or (local/test only) one per process."""
    if settings.release_signing_key is not None:
        return ReleaseSigner(settings.release_signing_key.get_secret_value())
    if not settings.relaxed:
        raise ValueError("KPIS_RELEASE_SIGNING_KEY is required outside local/test")
    return ReleaseSigner(ephemeral_key())
