"""Magento's REST API (`/rest/default/V1`) for one store, every call OAuth 1.0a signed (oauthlib,
HMAC-SHA256, in the Authorization header) with the integration's four credentials. The store's
address is checked again before every call. 429 and 5xx are retried later; a refused token is
not (the integration was deleted or reset); other refusals keep Magento's message, its
`%1`-style parameters substituted. (Bearer use of the access token, which Magento turns off by
default since 2.4.4, is not needed: signing works on every store.)

The activation's token exchange (`/oauth/token/request`, `/oauth/token/access`) is here too: it
runs right after Magento's activation POST, as the consumer's validity window is short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from core.errors import OutsideServiceFailed
from core.http import call_store, response_excerpt, store_json
from core.store_urls import checked_store_url

API_PATH = "/rest/default/V1"


class MagentoRefused(OutsideServiceFailed):
    """Magento understood the call and said no (4xx): the reason is shown, not retried."""


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_secret: str

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Credentials:
        return cls(
            str(stored["consumer_key"]),
            str(stored["consumer_secret"]),
            str(stored["access_token"]),
            str(stored["access_secret"]),
        )


def magento_message(data: Any) -> str:
    """Magento's error `message` with its `parameters` put in (`%1` by position, `%name` by
    name), as the admin would show it."""
    if not isinstance(data, dict) or not data.get("message"):
        return ""
    message = str(data["message"])
    parameters = data.get("parameters") or []
    if isinstance(parameters, dict):
        return re.sub(r"%(\w+)", lambda m: str(parameters.get(m.group(1), m.group(0))), message)
    return re.sub(
        r"%(\d+)",
        lambda m: (
            str(parameters[int(m.group(1)) - 1])
            if 0 < int(m.group(1)) <= len(parameters)
            else m.group(0)
        ),
        message,
    )


def search_criteria(
    filters: Sequence[tuple[str, Any, str]],
    sort: tuple[str, str] | None = None,
    page_size: int | None = None,
    page: int | None = None,
) -> dict[str, str]:
    """`searchCriteria[...]` query parameters: each filter its own group (groups are ANDed)."""
    params: dict[str, str] = {}
    for index, (field, value, condition) in enumerate(filters):
        prefix = f"searchCriteria[filterGroups][{index}][filters][0]"
        params[f"{prefix}[field]"] = field
        params[f"{prefix}[value]"] = str(value)
        params[f"{prefix}[conditionType]"] = condition
    if sort:
        params["searchCriteria[sortOrders][0][field]"] = sort[0]
        params["searchCriteria[sortOrders][0][direction]"] = sort[1]
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
    if page is not None:
        params["searchCriteria[currentPage]"] = str(page)
    return params


def _oauth_post(
    session: requests.Session, url: str, client: Client, allow_private: bool
) -> dict[str, str]:
    checked_store_url(url.split("/oauth/")[0], allow_private)
    signed_url, headers, _ = client.sign(url, http_method="POST")
    try:
        response = session.post(signed_url, headers=headers, timeout=20, allow_redirects=False)
    except requests.RequestException as error:
        raise OutsideServiceFailed(
            f"the store could not be reached: {response_excerpt(str(error))}"
        ) from None
    if response.status_code != 200:
        said = response_excerpt(response.text) or str(response.status_code)
        raise OutsideServiceFailed(f"the store refused the token exchange: {said}")
    return dict(parse_qsl(response.text))


def exchange_tokens(
    session: requests.Session,
    base_url: str,
    consumer_key: str,
    consumer_secret: str,
    verifier: str,
    allow_private: bool = False,
) -> Credentials:
    """The activation's two requests: a request token, then the access token for it."""
    request = _oauth_post(
        session,
        f"{base_url}/oauth/token/request",
        Client(consumer_key, client_secret=consumer_secret, signature_method=SIGNATURE_HMAC_SHA256),
        allow_private,
    )
    access = _oauth_post(
        session,
        f"{base_url}/oauth/token/access",
        Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=request["oauth_token"],
            resource_owner_secret=request["oauth_token_secret"],
            verifier=verifier,
            signature_method=SIGNATURE_HMAC_SHA256,
        ),
        allow_private,
    )
    return Credentials(
        consumer_key, consumer_secret, access["oauth_token"], access["oauth_token_secret"]
    )


@dataclass(frozen=True)
class MagentoApi:
    base_url: str
    credentials: Credentials
    session: requests.Session
    allow_private: bool = False

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON) for 2xx and 404; raises for the rest."""
        base = checked_store_url(self.base_url, self.allow_private)
        url = f"{base}{API_PATH}/{path.lstrip('/')}"
        if params:
            url = f"{url}?{urlencode(params)}"
        data = None if body is None else json.dumps(body)
        client = Client(
            self.credentials.consumer_key,
            client_secret=self.credentials.consumer_secret,
            resource_owner_key=self.credentials.access_token,
            resource_owner_secret=self.credentials.access_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
        )
        url, headers, _ = client.sign(
            url,
            http_method=method,
            body=data,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        response = call_store(
            lambda: self.session.request(
                method, url, data=data, headers=headers, timeout=20, allow_redirects=False
            ),
            "the store refused Paylink's integration token: activate it again",
        )
        answer = store_json(response)
        if response.status_code == 404:
            return 404, answer
        if response.status_code >= 400:
            said = response_excerpt(magento_message(answer)) or str(response.status_code)
            raise MagentoRefused(f"Magento refused {method} {path.split('?')[0]}: {said}")
        return response.status_code, answer
