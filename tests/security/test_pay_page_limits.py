"""The payment pages' per-address budget is spent only by failed look-ups, shared across the
pages: guessing link codes stays bounded, a customer holding a valid link is never refused
(the return page refreshes every 3 s), and behind a trusted proxy each customer has their own."""

from dataclasses import replace

import pytest

from core.services import invoice_creation
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
