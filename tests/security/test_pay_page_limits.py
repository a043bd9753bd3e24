"""The payment pages' per-address budget is spent only by failed look-ups, shared across the
pages: guessing link codes stays bounded, a customer holding a valid link is never refused
(the return page refreshes every 3 s), and behind a trusted proxy each customer has their own."""

from dataclasses import replace

import pytest

from core.services import invoice_creation
from core.web import create_app
from tests.support.factories import order


@pytest.fixture
def settings(settings):
    return replace(settings, pay_page_rate_limit="5 per minute", trusted_proxies=1)


def proxied(address: str) -> dict[str, dict[str, str]]:
    """A request relayed by the reverse proxy (127.0.0.1) for the customer at `address`."""
    return {"headers": {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}}


def test_a_valid_link_is_never_refused_however_often_it_is_opened(client, ctx, shop):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    pages = [f"/i/{invoice.link_code}", f"/i/{invoice.link_code}/return"] * 10
    assert {client.get(page, **proxied("198.51.100.7")).status_code for page in pages} == {200}


def test_failed_look_ups_share_one_budget_across_the_pages(client, ctx, shop):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    guesses = ["/i/AAAAAAAAAAAA", "/i/BBBBBBBBBBBB/receipt", "/i/CCCCCCCCCCCC/return"] * 2
    answers = [client.get(guess, **proxied("198.51.100.8")).status_code for guess in guesses]
    assert answers == [404] * 5 + [429]
    # The guesser is refused even a real code now; another customer behind the proxy is not.
    assert client.get(f"/i/{invoice.link_code}", **proxied("198.51.100.8")).status_code == 429
    assert client.get(f"/i/{invoice.link_code}", **proxied("198.51.100.9")).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_outlive_the_rate_limiter_s_redis(settings, clock, database, shop, tmp_path):
    """Redis gone (a socket nobody listens on): the pages still answer, and the budget is
    counted in the process's memory meanwhile rather than failing every page with a 500."""
    gone = replace(settings, redis_url=f"redis+unix://{tmp_path}/gone.sock")
    app = create_app(gone, clock, database)
    invoice, _ = invoice_creation.create_invoice(app.extensions["paylink"], shop.id, order())
    client = app.test_client()
    assert client.get(f"/i/{invoice.link_code}", **proxied("198.51.100.10")).status_code == 200
    guesses = [client.get("/i/AAAAAAAAAAAA", **proxied("198.51.100.11")) for _ in range(6)]
    assert [answer.status_code for answer in guesses] == [404] * 5 + [429]
    assert client.get(f"/i/{invoice.link_code}", **proxied("198.51.100.10")).status_code == 200
