"""WooCommerce's webhook signature, its unsigned ping, and the per-store secret Paylink gives
each webhook it creates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

from core.errors import Unauthorized

#: Alphanumeric: WooCommerce passes the secret through `wp_specialchars_decode`, which would
#: change a secret holding `&`, `<`, quotes...
SECRET_ALPHABET = string.ascii_letters + string.digits


def new_webhook_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(48))


def webhook_signature(body: bytes, secret: str) -> str:
    """`X-WC-Webhook-Signature`: base64 of the binary HMAC-SHA256 of the exact body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_webhook(body: bytes, header: str | None, secret: str) -> None:
    if not header or not hmac.compare_digest(webhook_signature(body, secret), header):
        raise Unauthorized("the WooCommerce webhook signature does not match")


def is_ping(content_type: str | None, body: bytes) -> bool:
    """The ping WooCommerce sends when a webhook is created or activated: form-encoded
    `webhook_id=N`, with no signature and no X-WC-Webhook-* headers."""
    return "json" not in (content_type or "") and body.startswith(b"webhook_id=")
