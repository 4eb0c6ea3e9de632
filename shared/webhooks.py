"""Signed webhooks to partner systems: signing, the target rule (no SSRF), wrapped secrets.

A service that offers webhooks for its own events (kpis: an import finished, a period
published) keeps its subscriptions and delivery log in its own schema and runs a small
dispatcher over its own outbox (``services/kpis/webhooks/``); this module is what every
such service shares.

Signing (the partner verifies it with :func:`verify`): each delivery carries
``Webhook-Id`` (the event's id: the same on every retry, to de-duplicate),
``Webhook-Timestamp`` (Unix seconds) and ``Webhook-Signature: v1=<hex>``, the HMAC-SHA256,
under the subscription's secret, of ``"<timestamp>." + body``. A partner refuses a
timestamp older than five minutes (replay) and compares in constant time.

The secret is made here (32 random bytes, shown once when the subscription is made) and
kept wrapped (AES-256-GCM under the service's webhook key, with the subscription id as
associated data), never in the clear: signing needs the secret itself, so a hash would not do.

Targets (:func:`check_target`): outside the ``local``/``test`` profiles a webhook URL must be
``https``, carry no credentials, and its host must resolve only to public addresses (no
loopback, private, link-local — the cloud metadata address —, shared, reserved or multicast
ones); it is checked when the subscription is made and again before each delivery (a name
may be re-pointed).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.config import RELAXED_PROFILES

TOLERANCE_S = 300
SIGNATURE_HEADER = "Webhook-Signature"
TIMESTAMP_HEADER = "Webhook-Timestamp"
ID_HEADER = "Webhook-Id"


class TargetRefused(ValueError):
    """The URL may not receive webhooks; ``str(exc)`` says why (never echoing the URL)."""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers_for(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: int, tolerance_s: int = 300
) -> bool:
    """What a partner does with a delivery: a fresh timestamp and the right signature."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


class SecretBox:
    """Wraps subscription secrets at rest (AES-256-GCM; key: SHA-256 of the configured
    webhook key, so any long random string serves)."""

    def __init__(self, key: str) -> None:
        self.aead = AESGCM(hashlib.sha256(key.encode()).digest())

    def wrap(self, secret: str, context: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, secret.encode(), context.encode())

    def unwrap(self, wrapped: bytes, context: str) -> str:
        return self.aead.decrypt(wrapped[:12], wrapped[12:], context.encode()).decode()


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str, profile: str) -> None:
    """Raise :class:`TargetRefused` unless ``url`` may receive webhooks in ``profile``."""
    parts = urlsplit(url)
    relaxed = profile in RELAXED_PROFILES
    allowed = ("https", "http") if relaxed else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused("the webhook URL must use https")
    if not parts.hostname:
        raise TargetRefused("the webhook URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("the webhook URL may not carry credentials")
    if relaxed:
        return
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused("the webhook host does not resolve") from None
    addresses = {str(info[4][0]) for info in found}
    if not addresses or not all(_public(a) for a in addresses):
        raise TargetRefused("the webhook host is an internal address")
