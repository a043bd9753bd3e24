"""GoCardless's API: bearer token, pinned `GoCardless-Version`, bodies wrapped in an envelope
named after the resource, and our own `Idempotency-Key` on creates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from core.errors import OutsideServiceFailed
from core.http import send_json

GOCARDLESS_VERSION = "2015-07-06"


class GoCardlessClient:
    def __init__(self, base_url: str, access_token: str, session: requests.Session) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.headers = {
            "Authorization": f"Bearer {access_token}",
            "GoCardless-Version": GOCARDLESS_VERSION,
            "Accept": "application/json",
        }

    def create(self, resource: str, fields: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """POST /<resource> with {"<resource>": fields}; returns the created resource. A key
        used before (a retry after a lost answer) is answered 409 naming what it created:
        that resource is read and returned."""
        headers = {**self.headers, "Idempotency-Key": idempotency_key}
        url = f"{self.base_url}/{resource}"
        status, body = send_json(
            self.session, "GoCardless", "POST", url, json={resource: fields}, headers=headers
        )
        created_before = _conflicting_resource(status, body)
        if created_before:
            return self.get(resource, created_before)
        return dict(self._checked(status, body)[resource])

    def list_one(self, resource: str) -> dict[str, Any]:
        return self._call("GET", f"/{resource}", params={"limit": 1}, headers=self.headers)

    def list_all(self, resource: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paginated list (`meta.cursors.after` until there is none)."""
        after: str | None = None
        while True:
            page_params = {**params, "limit": "500", **({"after": after} if after else {})}
            body = self._call("GET", f"/{resource}", params=page_params, headers=self.headers)
            yield from body.get(resource) or []
            after = (body.get("meta") or {}).get("cursors", {}).get("after")
            if not after:
                return

    def get(self, resource: str, resource_id: str) -> dict[str, Any]:
        body = self._call("GET", f"/{resource}/{resource_id}", headers=self.headers)
        return dict(body[resource])

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        status, body = send_json(self.session, "GoCardless", method, url, **kwargs)
        return self._checked(status, body)

    @staticmethod
    def _checked(status: int, body: dict[str, Any]) -> dict[str, Any]:
        if status >= 400:
            refusal = body.get("error", {})
            reasons = ", ".join(
                str(e.get("reason") or e.get("message")) for e in refusal.get("errors", [])
            )
            detail = f" ({reasons})" if reasons else ""
            message = refusal.get("message", "no message")
            raise OutsideServiceFailed(
                f"GoCardless refused the request ({status}): {message}{detail}"
            )
        return body


def _conflicting_resource(status: int, body: dict[str, Any]) -> str | None:
    """The id GoCardless names in an `idempotent_creation_conflict` (409), if that is the
    answer."""
    if status != 409:
        return None
    for error in body.get("error", {}).get("errors", []):
        if error.get("reason") == "idempotent_creation_conflict":
            found = (error.get("links") or {}).get("conflicting_resource_id")
            return str(found) if found else None
    return None
