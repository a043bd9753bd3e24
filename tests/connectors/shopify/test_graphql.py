"""Every GraphQL document the connector sends fits Shopify's Admin schema (2025-01 introspection,
../shared/reference), and the client reads throttling as Shopify reports it."""

import pytest
import requests
from graphql import parse
from graphql.validation.validate import validate

from connectors.shopify.graphql import DOCUMENTS, ShopifyAdmin
from core.errors import OutsideServiceFailed, Throttled
from tests.support.providers import json_answer
from tests.support.shopify_reference import admin_schema


@pytest.fixture(scope="module")
def schema():
    return admin_schema()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_fits_the_admin_schema(schema, name):
    assert validate(schema, parse(DOCUMENTS[name])) == []


def test_the_check_can_fail(schema):
    errors = validate(schema, parse("mutation { orderMarkAsPaid(input: {id: 1}) { nope } }"))
    assert errors


def admin(httpserver) -> ShopifyAdmin:
    return ShopifyAdmin(
        "lune.myshopify.com", "shpat_token", requests.Session(), httpserver.url_for("")
    )


def test_the_client_sends_the_token_and_returns_data(httpserver):
    seen = []

    def handler(request):
        seen.append((request.headers["X-Shopify-Access-Token"], request.get_json()))
        return json_answer({"data": {"order": {"id": "gid://shopify/Order/1"}}})

    httpserver.expect_request(
        "/admin/api/2025-01/graphql.json", method="POST"
    ).respond_with_handler(handler)
    data = admin(httpserver).execute(
        DOCUMENTS["ORDER_PAYMENT_STATE"], {"id": "gid://shopify/Order/1"}
    )
    assert data == {"order": {"id": "gid://shopify/Order/1"}}
    assert seen[0][0] == "shpat_token" and seen[0][1]["variables"] == {
        "id": "gid://shopify/Order/1"
    }


def test_throttling_says_how_long_to_wait(httpserver):
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 752,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000,
                    "currentlyAvailable": 152,
                    "restoreRate": 100,
                },
            }
        },
    }
    httpserver.expect_oneshot_request("/admin/api/2025-01/graphql.json").respond_with_response(
        json_answer(throttled)
    )
    with pytest.raises(Throttled) as waited:
        admin(httpserver).execute(DOCUMENTS["TAGS_ADD"], {"id": "x", "tags": ["paylink"]})
    assert waited.value.seconds == 6  # (752 - 152) / 100
    httpserver.expect_oneshot_request("/admin/api/2025-01/graphql.json").respond_with_data(
        "slow down", status=429
    )
    with pytest.raises(Throttled):
        admin(httpserver).execute(DOCUMENTS["TAGS_ADD"], {"id": "x", "tags": ["paylink"]})
    httpserver.expect_oneshot_request("/admin/api/2025-01/graphql.json").respond_with_response(
        json_answer({"errors": [{"message": "Field 'nope' doesn't exist"}]})
    )
    with pytest.raises(OutsideServiceFailed, match="nope"):
        admin(httpserver).execute(DOCUMENTS["TAGS_ADD"], {"id": "x", "tags": ["paylink"]})
