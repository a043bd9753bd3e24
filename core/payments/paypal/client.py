"""PayPal's REST API: OAuth2 client credentials for a bearer token (cached until shortly before
it expires), JSON calls, `PayPal-Request-Id` for idempotent creates and captures."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from core.errors import OutsideServiceFailed
from core.http import send_json

#: Tokens are shared by every provider instance of the process, per (API base, client id).
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()
TOKEN_MARGIN_SECONDS = 60


class PayPalClient:
    def __init__(
        self, base_url: str, client_id: str, client_secret: str, session: requests.Session
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.session = session

    def token(self) -> str:
        """A bearer token, cached until shortly before PayPal says it expires."""
        key = (self.base_url, self.client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        answer = self._send(
            "POST",
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        token = str(answer["access_token"])
        lifetime = int(answer.get("expires_in", 300)) - TOKEN_MARGIN_SECONDS
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(lifetime, 0))
        return token

    def forget_token(self) -> None:
        with _tokens_lock:
            _tokens.pop((self.base_url, self.client_id), None)

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | bytes | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """One API call with a bearer token; a token PayPal no longer accepts is renewed once.
        A bytes body is sent as it is (verify-webhook-signature needs the event's own bytes)."""
        try:
            return self._authorised(method, path, body, request_id)
        except PayPalRefused as refused:
            if refused.status != 401:
                raise
            self.forget_token()
            return self._authorised(method, path, body, request_id)

    def _authorised(
        self, method: str, path: str, body: dict[str, Any] | bytes | None, request_id: str | None
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.token()}",
            "Content-Type": "application/json",
            "Prefer": "return=representation",
        }
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        payload = {"data": body} if isinstance(body, bytes) else {"json": body}
        return self._send(method, path, headers=headers, **payload)

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        status, body = send_json(self.session, "PayPal", method, url, **kwargs)
        if status >= 400:
            raise PayPalRefused(status, body)
        return body


class PayPalRefused(OutsideServiceFailed):
    """PayPal answered 4xx/5xx; its `name`, `details[].issue` and message are kept."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.issues = frozenset(
            str(detail.get("issue")) for detail in body.get("details", []) if detail.get("issue")
        )
        name = body.get("name") or body.get("error") or "error"
        message = body.get("message") or body.get("error_description") or ""
        issues = f" [{', '.join(sorted(self.issues))}]" if self.issues else ""
        super().__init__(f"PayPal refused the request ({status} {name}){issues}: {message}")
