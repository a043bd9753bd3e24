"""PayPlug's API: one endpoint for test and live (the secret key's prefix chooses), a bearer
secret key and the pinned `PayPlug-Version`."""

from __future__ import annotations

from typing import Any

import requests

from core.errors import OutsideServiceFailed
from core.http import send_json

PAYPLUG_VERSION = "2019-08-06"


class PayPlugClient:
    def __init__(self, base_url: str, secret_key: str, session: requests.Session) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.headers = {"Authorization": f"Bearer {secret_key}", "PayPlug-Version": PAYPLUG_VERSION}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, json=body)

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        status, body = send_json(
            self.session, "PayPlug", method, url, headers=self.headers, **kwargs
        )
        if status >= 400:
            message = body.get("message", "no message")
            raise OutsideServiceFailed(f"PayPlug refused the request ({status}): {message}")
        return body
