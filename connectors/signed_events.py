"""The signature Paylink's own store modules (PrestaShop, Magento) and Paylink put on what they
send each other: a module's events to Paylink, and Paylink's requests to a module (a recovered
cart). One secret per shop, made by Paylink when the shop is connected and kept by the module.

`X-Paylink-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with
`X-Paylink-Timestamp` in Unix seconds: the timestamp is signed, so an old delivery cannot be
replayed with a new one, and one older than `TOLERANCE` is refused (the module signs again
when it resends). Each module's PHP computes the same bytes; the vectors in
tests/connectors/signature_vectors.json are checked by every suite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime

from flask import Request, Response, jsonify

from core.connector import StoreHost
from core.errors import MALFORMED_PAYLOAD, Unauthorized, ValidationError
from core.store_changes import StoreRef

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


#: What a receiver calls a signed event it cannot read (kept, so the merchant sees it failed).
UNREADABLE = "unreadable"


def receive(
    host: StoreHost, store: StoreRef | None, secret_field: str, request: Request
) -> tuple[Response, int]:
    """A module's event: the store it names (200 "ignored" when Paylink does not serve it), the
    signature checked on the raw body (401, nothing stored), kept once per event id."""
    raw = request.get_data()
    if store is None:
        return jsonify({"received": True, "ignored": "unknown or disconnected store"}), 200
    verify(
        str(store.credentials.get(secret_field, "")),
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        raw,
        host.clock(),
    )
    event_id = request.headers.get(EVENT_HEADER, "")
    if not event_id:
        raise ValidationError(f"the event has no {EVENT_HEADER}")
    try:
        topic = str(json.loads(raw)["event"])
    except MALFORMED_PAYLOAD:
        topic = UNREADABLE
    stored = host.receive(store, event_id, topic, raw)
    return jsonify({"received": True, "duplicate": not stored}), 200
