"""Signatures of inbound webhook deliveries, as the two common senders make them:

- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`;
- Stripe: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
  (several v1 entries while the sender rotates its secret), refused outside a
  tolerance around now so a captured delivery cannot be replayed later.

Every comparison is constant-time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

STYLES = ("none", "github", "stripe")
GITHUB_HEADER = "x-hub-signature-256"
STRIPE_HEADER = "stripe-signature"


class BadSignature(Exception):
    """The delivery is not signed with the webhook's secret (code: why)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _hmac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + _hmac(secret, body)


def stripe_signature(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={_hmac(secret, str(timestamp).encode() + b'.' + body)}"


def verify(style: str, secret: str | None, headers: Mapping[str, str], body: bytes, *,
           tolerance_s: int, clock: Callable[[], float] = time.time) -> None:
    """Raises BadSignature unless the delivery carries a valid signature of
    `style` (header names lower case, as Starlette gives them)."""
    if style == "none":
        return
    if not secret:
        raise BadSignature("invalid_signature", "the webhook has no signing secret")
    if style == "github":
        _verify_github(secret, headers.get(GITHUB_HEADER), body)
    elif style == "stripe":
        _verify_stripe(secret, headers.get(STRIPE_HEADER), body, tolerance_s, clock())
    else:
        raise BadSignature("invalid_signature", f"unknown signature style {style!r}")


def _verify_github(secret: str, header: str | None, body: bytes) -> None:
    if not header:
        raise BadSignature("signature_missing", "the X-Hub-Signature-256 header is missing")
    if not hmac.compare_digest(header.strip().encode(), github_signature(secret, body).encode()):
        raise BadSignature("invalid_signature", "X-Hub-Signature-256 does not match the body")


def _verify_stripe(secret: str, header: str | None, body: bytes, tolerance_s: int, now: float) -> None:
    if not header:
        raise BadSignature("signature_missing", "the Stripe-Signature header is missing")
    timestamp, candidates = _stripe_parts(header)
    expected = _hmac(secret, str(timestamp).encode() + b"." + body).encode()
    # Every candidate is compared, so the time taken says nothing about which matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise BadSignature("invalid_signature", "no v1 signature of Stripe-Signature matches the body")
    if abs(now - timestamp) > tolerance_s:
        raise BadSignature("signature_expired",
                           f"the signature's timestamp is more than {tolerance_s} s from now (a replay?)")


def _stripe_parts(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise BadSignature("invalid_signature", "Stripe-Signature needs t=<unix time> and v1=<signature>")
    return timestamp, candidates[:8]
