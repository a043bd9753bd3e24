"""Timestamped HMAC-SHA256 webhook signatures (`t=<unix>,v1=<hex>[,v1=<hex>...]` over
`"<t>.<raw body>"`), the scheme Stripe uses and the sandbox copies.

Every v1 signature in the header is tried against every configured secret, so a secret can be
rolled without losing events; the timestamp must be within the tolerance, which bounds replays.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from core.payments.provider import InvalidSignature

DEFAULT_TOLERANCE_SECONDS = 300


def sign(raw_body: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(raw_body: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(raw_body, secret, timestamp)}"


def verify(
    raw_body: bytes,
    header: str | None,
    secrets: Sequence[str],
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    if not header:
        raise InvalidSignature("missing signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise InvalidSignature("signature timestamp outside the tolerance")
    expected = [sign(raw_body, secret, timestamp) for secret in secrets if secret]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise InvalidSignature("signature does not match")
