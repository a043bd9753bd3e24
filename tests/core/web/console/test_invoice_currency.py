"""An order placed in the customer's currency, in the console: its own amounts, and what its
store converted it to."""

from __future__ import annotations

from dataclasses import replace

from core.money import Money
from core.services import invoice_creation
from tests.support.console import sign_in
from tests.support.factories import content, order


def test_the_invoice_page_shows_the_store_s_conversion(client, ctx, shop):
    dollars = order("usd-2", content=content("100.00", shipping="0.00", currency="USD"))
    usd, _ = invoice_creation.create_invoice(
        ctx, shop.id, replace(dollars, shop_total=Money(9213, "EUR"))
    )
    sign_in(client, ctx, shop.id)
    page = client.get(f"/console/invoices/{usd.id}").get_data(as_text=True)
    assert "100,00\u00a0$US" in page and "Dans la devise de la boutique (son taux)" in page
    assert "92,13\u00a0€" in page
