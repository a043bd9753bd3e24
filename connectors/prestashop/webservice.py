"""The PrestaShop Webservice (`/api/`) of one shop: HTTP Basic with the module's key as the user
and an empty password, JSON out (`Output-Format: JSON`), XML in (PrestaShop 8.1+ reads no
JSON). The shop's address is checked again before every call (its name may resolve elsewhere
since it was entered). 429 and 5xx are retried later; a refused key is not (the merchant must
connect the shop again); an error PrestaShop explains (JSON or XML) keeps its message."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from core.errors import OutsideServiceFailed
from core.http import call_store, response_excerpt, store_json
from core.store_urls import checked_store_url

API_PATH = "/api"
XLINK = "http://www.w3.org/1999/xlink"
#: The resources Paylink reads or writes, with the element name of one of them in XML.
SINGULAR = {
    "order_histories": "order_history",
    "order_payments": "order_payment",
    "messages": "message",
    "cart_rules": "cart_rule",
}


class WebserviceRefused(OutsideServiceFailed):
    """PrestaShop understood the call and said no (4xx): asking again changes nothing, so the
    reason is shown to the merchant rather than retried."""


def xml_body(resource: str, fields: Mapping[str, Any]) -> bytes:
    """`<prestashop><order_history><id_order>5</id_order>…</order_history></prestashop>`; a
    field given by language id (a mapping) is written per language,
    `<name><language id="1">…</language></name>`."""
    root = ElementTree.Element("prestashop", {"xmlns:xlink": XLINK})
    item = ElementTree.SubElement(root, SINGULAR[resource])
    for name, value in fields.items():
        element = ElementTree.SubElement(item, name)
        if isinstance(value, Mapping):
            for language, text in value.items():
                ElementTree.SubElement(element, "language", {"id": str(language)}).text = text
        else:
            element.text = "" if value is None else str(value)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def listed(data: Any, resource: str) -> list[dict[str, Any]]:
    """A list answer: `{"orders": [...]}`, or `[]` when nothing matched (PrestaShop's JSON)."""
    if isinstance(data, dict):
        return list(data.get(resource) or [])
    return []


def _explained(response: requests.Response) -> str:
    """The message PrestaShop gave with an error, from its JSON or its XML answer."""
    try:
        errors = response.json().get("errors") or []
        return "; ".join(str(error.get("message")) for error in errors) or str(response.status_code)
    except (ValueError, AttributeError):
        pass
    try:
        root = ElementTree.fromstring(response.content)  # noqa: S314 (the shop's own answer, bounded)
        messages = [node.text or "" for node in root.iter("message")]
        return "; ".join(m.strip() for m in messages if m.strip()) or str(response.status_code)
    except ElementTree.ParseError:
        return str(response.status_code)


@dataclass(frozen=True)
class PrestaShopWebservice:
    shop_url: str
    key: str
    session: requests.Session
    allow_private: bool = False

    def get(self, resource: str, params: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON) for 2xx and 404."""
        return self._call("GET", resource, params)

    def create(self, resource: str, fields: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        _, data = self._call("POST", resource, params, xml_body(resource, fields))
        created: dict[str, Any] = (data or {}).get(SINGULAR[resource]) or {}
        return created

    def update(self, resource: str, item_id: int, fields: Mapping[str, Any]) -> None:
        self._call(
            "PUT", f"{resource}/{item_id}", None, xml_body(resource, {"id": item_id, **fields})
        )

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: bytes | None = None,
    ) -> tuple[int, Any]:
        base = checked_store_url(self.shop_url, self.allow_private)
        url = f"{base}{API_PATH}/{path}"
        if params:
            url = f"{url}?{urlencode(params)}"
        headers = {"Output-Format": "JSON", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/xml"
        response = call_store(
            lambda: self.session.request(
                method,
                url,
                data=body,
                headers=headers,
                auth=(self.key, ""),
                timeout=20,
                allow_redirects=False,
            ),
            "the shop refused Paylink's Webservice key: connect it again from the Paylink module",
        )
        if response.status_code == 404:
            return 404, None
        if response.status_code >= 400:
            said = response_excerpt(_explained(response))
            raise WebserviceRefused(f"PrestaShop refused {method} {path.split('?')[0]}: {said}")
        return response.status_code, store_json(response)
