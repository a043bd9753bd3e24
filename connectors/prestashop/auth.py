"""The signature both sides of a PrestaShop connection put on what they send each other: the
module's events to Paylink, and Paylink's recovery requests to the module. One secret per shop,
made by Paylink when the shop is paired and kept by the module in its configuration.

`X-Paylink-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with
`X-Paylink-Timestamp` in Unix seconds: the timestamp is signed, so an old delivery cannot be
replayed with a new one, and one older than `TOLERANCE` is refused (the module signs again
when it resends). The module's PHP (classes/PaylinkSignature.php) computes the same bytes; the
vectors in tests/connectors/prestashop/signature_vectors.json are checked by both test suites.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from core.errors import Unauthorized

SIGNATURE_HEADER = "X-Paylink-Signature"
TIMESTAMP_HEADER = "X-Paylink-Timestamp"
EVENT_HEADER = "X-Paylink-Event-Id"
#: How far a signed timestamp may be from Paylink's clock (either way: clocks drift).
TOLERANCE = 300


def new_shop_secret() -> str:
    return secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, now: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: datetime,
) -> None:
    """Refuse (Unauthorized) a body not signed with the shop's secret, or signed too long ago."""
    try:
        timestamp = int(timestamp_header or "")
    except ValueError:
        raise Unauthorized("the Paylink module's signature has no timestamp") from None
    expected = signature(secret, timestamp, body)
    if not secret or not hmac.compare_digest(expected, signature_header or ""):
        raise Unauthorized("the Paylink module's signature does not match")
    if abs(now.timestamp() - timestamp) > TOLERANCE:
        raise Unauthorized("the Paylink module's signature is too old: its clock or a replay")
