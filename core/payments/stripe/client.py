"""Stripe's HTTP API: form-encoded v1 calls with the secret key, a pinned API version, and our
own idempotency key (so a retried checkout creation is the same checkout)."""

from __future__ import annotations

from typing import Any

import requests

from core.errors import OutsideServiceFailed
from core.http import send_json

STRIPE_VERSION = "2026-10-28.endive"


class StripeClient:
    def __init__(self, base_url: str, secret_key: str, session: requests.Session) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.headers = {"Authorization": f"Bearer {secret_key}", "Stripe-Version": STRIPE_VERSION}

    def post(self, path: str, form: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        headers = {**self.headers, "Idempotency-Key": idempotency_key}
        return self._call("POST", path, data=form, headers=headers)

    def charge(self, form: dict[str, str], idempotency_key: str) -> tuple[bool, dict[str, Any]]:
        """Create and confirm a PaymentIntent: (True, the intent), or (False, the error) when
        the card was refused (402, a card error: an answer, not a failure to retry)."""
        headers = {**self.headers, "Idempotency-Key": idempotency_key}
        url = f"{self.base_url}/v1/payment_intents"
        status, body = send_json(self.session, "Stripe", "POST", url, data=form, headers=headers)
        if status == 402 and body.get("error", {}).get("type") == "card_error":
            return False, dict(body["error"])
        return True, self._checked(status, body)

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, headers=self.headers)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, body = send_json(self.session, "Stripe", method, f"{self.base_url}{path}", **kwargs)
        return self._checked(status, body)

    @staticmethod
    def _checked(status: int, body: dict[str, Any]) -> dict[str, Any]:
        if status >= 400:
            message = body.get("error", {}).get("message", "no message")
            raise OutsideServiceFailed(f"Stripe refused the request ({status}): {message}")
        return body
