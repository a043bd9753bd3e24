"""Signing in to the console as a test would by hand: a user for the merchant, the login
form's CSRF token read from the page, the form posted."""

from __future__ import annotations

import re
from typing import Any

from core.services.context import ServiceContext
from core.services.merchant_users import create_user

EMAIL, PASSWORD = "owner@lune.fr", "correct horse battery"


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: Any, ctx: ServiceContext, merchant_id: int, create: bool = True) -> Any:
    """`client` signed in as the merchant's owner (created unless `create` is False)."""
    if create:
        create_user(ctx, merchant_id, EMAIL, "Léa", PASSWORD)
    token = csrf_token(client.get("/console/login").get_data(as_text=True))
    answer = client.post(
        "/console/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client
