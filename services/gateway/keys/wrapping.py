"""Signing keys at rest: wrapped (AES-256-GCM) by a key from the environment, never plain PEM.

``GATEWAY_KEY_WRAPPING_KEY`` is a secret string (``python -m shared.keys generate`` makes one:
32 random bytes, base64url); the AES key is derived from it with HKDF-SHA256. A stored key is
``wrapped:v1:<wrapping key id>:<base64url(nonce ‖ ciphertext)>``, the signing key's ``kid``
bound in as associated data (a wrapped key copied onto another row does not open). The
wrapping key id (the first 8 bytes of a hash of the derived key, hex) names which wrapping key
a row needs, so a wrong key is reported as such, not as a broken row.

Rotation: set ``GATEWAY_KEY_WRAPPING_KEY`` to the new key and ``GATEWAY_KEY_WRAPPING_KEY_PREVIOUS``
to the old, run ``python -m services.gateway.keys rewrap``, then drop the previous key.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "wrapped:v1:"
_INFO = b"improvement-platform gateway signing-key wrapping v1"


class WrappingKeyError(RuntimeError):
    """A stored signing key the configured wrapping key cannot open."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Key:
    def __init__(self, secret: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        self.aead = AESGCM(derived)
        self.id = hashlib.sha256(b"key-id:" + derived).hexdigest()[:16]


class KeyWrapper:
    """Wraps with the current key; opens with the current or (during a rotation) the previous."""

    def __init__(self, current: str, previous: str | None = None) -> None:
        if not current:
            raise WrappingKeyError("GATEWAY_KEY_WRAPPING_KEY is empty")
        self._current = _Key(current)
        self._keys = {self._current.id: self._current}
        if previous:
            old = _Key(previous)
            self._keys.setdefault(old.id, old)

    @property
    def key_id(self) -> str:
        return self._current.id

    def wrap(self, kid: str, pem: str) -> str:
        nonce = os.urandom(12)
        sealed = self._current.aead.encrypt(nonce, pem.encode(), kid.encode())
        return f"{PREFIX}{self._current.id}:{_b64(nonce + sealed)}"

    def needs_rewrap(self, stored: str) -> bool:
        return not stored.startswith(f"{PREFIX}{self._current.id}:")

    def unwrap(self, kid: str, stored: str) -> str:
        if not is_wrapped(stored):
            raise WrappingKeyError(
                f"signing key {kid} is stored unwrapped; run the bootstrap "
                "(python -m shared.bootstrap production) or "
                "python -m services.gateway.keys rewrap to wrap it"
            )
        key_id, _, body = stored[len(PREFIX) :].partition(":")
        key = self._keys.get(key_id)
        if key is None:
            raise WrappingKeyError(
                f"signing key {kid} is wrapped by wrapping key {key_id}, but "
                f"GATEWAY_KEY_WRAPPING_KEY is wrapping key {self._current.id}: set the key it "
                "was wrapped with (or give it as GATEWAY_KEY_WRAPPING_KEY_PREVIOUS)"
            )
        raw = _unb64(body)
        try:
            return key.aead.decrypt(raw[:12], raw[12:], kid.encode()).decode()
        except (InvalidTag, ValueError):
            raise WrappingKeyError(
                f"signing key {kid} does not open with wrapping key {key_id}: the row was "
                "altered or copied from another key"
            ) from None


def is_wrapped(stored: str) -> bool:
    return stored.startswith(PREFIX)
