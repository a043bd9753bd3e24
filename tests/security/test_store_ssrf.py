"""A merchant-typed store address cannot make Paylink call into its own network: no redirect is
followed, every address form that reaches a private host is refused, the connection goes to the
address that was checked, and a store's answer reaches the merchant only as a short excerpt."""

import pytest
import requests
from werkzeug import Response

from connectors.woocommerce.rest import WooCommerceApi
from core.errors import OutsideServiceFailed, ValidationError
from core.http import store_session
from core.store_urls import checked_store_url

INTERNAL_PAGE = "root:x:0:0:root:/root:/bin/bash " * 200


@pytest.fixture
def internal():
    """A second loopback server standing for an internal service (metadata, admin, Redis)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/secret").respond_with_data(INTERNAL_PAGE)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_store_redirecting_to_an_internal_address_is_not_followed(httpserver, internal):
    httpserver.expect_request("/wp-json/wc/v3/orders/1").respond_with_response(
        Response(status=302, headers={"Location": internal.url_for("/secret")})
    )
    store = WooCommerceApi(httpserver.url_for(""), "ck", "cs", store_session(5, True), True)
    with pytest.raises(OutsideServiceFailed, match="redirect") as refused:
        store.call("GET", "orders/1")
    assert internal.log == [] and "root:x" not in refused.value.message


@pytest.mark.parametrize(
    "address",
    [
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254 (cloud metadata)
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::1]/",
        "http://169.254.169.254/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
    ],
)
def test_every_address_form_of_a_private_host_is_refused(address):
    with pytest.raises(ValidationError, match="private, loopback or link-local"):
        checked_store_url(address)


def test_the_connection_goes_only_to_a_checked_address(httpserver):
    """A name that resolves to a private address when the call is made (DNS rebinding: public
    when the form was checked) is refused by the session itself, before any byte is sent."""
    httpserver.expect_request("/").respond_with_data("internal")
    session = store_session(5, allow_private=False)
    with pytest.raises(requests.RequestException):
        session.get(f"http://localhost:{httpserver.port}/")
    assert httpserver.log == []


def test_a_store_s_error_reaches_the_merchant_as_a_short_excerpt(httpserver):
    httpserver.expect_request("/wp-json/wc/v3/orders/1").respond_with_json(
        {"code": "x", "message": INTERNAL_PAGE + "\x1b[31m"}, status=400
    )
    store = WooCommerceApi(httpserver.url_for(""), "ck", "cs", store_session(5, True), True)
    with pytest.raises(OutsideServiceFailed) as refused:
        store.call("GET", "orders/1")
    assert len(refused.value.message) < 240 and "\x1b" not in refused.value.message
