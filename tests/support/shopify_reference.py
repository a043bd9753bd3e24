"""The Shopify reference data beside the checkout (../shared/reference): the 2025-01 Admin
schema and the REST order example, loaded once; tests skip with the reason where it is absent
(a clone elsewhere) and `.ci/run` makes sure it is present."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, build_client_schema

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _path(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    return path


@lru_cache(maxsize=1)
def _schema() -> GraphQLSchema:
    with gzip.open(_path("shopify-admin-graphql-2025-01.json.gz")) as packed:
        schema = build_client_schema(json.load(packed)["data"], assume_valid=True)
    schema._validation_errors = []  # Shopify's own schema is taken as valid
    return schema


def admin_schema() -> GraphQLSchema:
    _path("shopify-admin-graphql-2025-01.json.gz")
    return _schema()


def unpaid_order(**changes: Any) -> dict[str, Any]:
    """The reference order, still to pay through the "Paylink" manual gateway."""
    order: dict[str, Any] = json.loads(_path("shopify-order-2026-07.json").read_text())["order"]
    order.update({"financial_status": "pending", "payment_gateway_names": ["Paylink"], **changes})
    return order


def abandoned_checkout(**changes: Any) -> dict[str, Any]:
    """The reference abandoned checkout (the REST shape checkouts/create|update deliver)."""
    text = _path("shopify-abandoned-checkouts-2026-07.json").read_text()
    checkout: dict[str, Any] = json.loads(text)["checkouts"][0]
    checkout.update(changes)
    return checkout
