"""The WooCommerce REST API (`/wp-json/wc/v3`) of one store: HTTP Basic with the consumer key
and secret over HTTPS, OAuth 1.0a "one-legged" (oauthlib, HMAC-SHA256, in the query, no
`oauth_version`) over plain HTTP. The store's address is checked again before every call (its
name may resolve elsewhere since it was entered). 429 and 5xx are retried later; refused keys
are not (the merchant must reconnect the store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY, Client

from core.errors import OutsideServiceFailed
from core.http import call_store, response_excerpt, store_json
from core.store_urls import checked_store_url

API_PATH = "/wp-json/wc/v3"


class _OneLegged(Client):
    """OAuth 1.0a as WooCommerce checks it: consumer key and secret only (the signing key is
    `secret&`), and no `oauth_version` parameter."""

    def get_oauth_params(self, request: Any) -> list[tuple[str, str]]:
        return [(k, v) for k, v in super().get_oauth_params(request) if k != "oauth_version"]


@dataclass(frozen=True)
class WooCommerceApi:
    store_url: str
    consumer_key: str
    consumer_secret: str
    session: requests.Session
    allow_private: bool = False

    def prepared(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> requests.PreparedRequest:
        base = checked_store_url(self.store_url, self.allow_private)
        url = f"{base}{API_PATH}/{path.lstrip('/')}"
        if params:
            url = f"{url}?{urlencode(params)}"
        request = requests.Request(method, url, json=body, headers={"Accept": "application/json"})
        if url.startswith("https://"):
            request.auth = (self.consumer_key, self.consumer_secret)
            return self.session.prepare_request(request)
        client = _OneLegged(
            self.consumer_key,
            client_secret=self.consumer_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            signature_type=SIGNATURE_TYPE_QUERY,
        )
        request.url, _, _ = client.sign(url, http_method=method)
        return self.session.prepare_request(request)

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON) for 2xx and 404; raises for what a retry can or cannot fix."""
        response = call_store(
            lambda: self.session.send(
                self.prepared(method, path, params, body), timeout=20, allow_redirects=False
            ),
            "the store refused Paylink's keys: connect it again",
        )
        data = store_json(response)
        if response.status_code >= 400 and response.status_code != 404:
            message = data.get("message") if isinstance(data, dict) else None
            said = response_excerpt(str(message)) if message else response.status_code
            raise OutsideServiceFailed(f"the store refused {method} {path}: {said}")
        return response.status_code, data
