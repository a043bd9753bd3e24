"""orders/create bodies shaped like the reference order (../shared/reference), as invoices."""

import copy

import pytest

from connectors.shopify.mapping import order_invoice
from core.errors import ValidationError
from core.money import Money
from tests.support.shopify_reference import unpaid_order


@pytest.fixture
def order():
    return unpaid_order(payment_gateway_names=["Paiement par lien"])


def test_an_unpaid_order_through_a_chosen_gateway_becomes_its_invoice(order):
    invoice = order_invoice(order, store_id=7, gateways=["paiement par lien"])
    assert (invoice.external_id, invoice.store_id, invoice.source_kind.value) == (
        "450789469",
        7,
        "order",
    )
    totals = invoice.content.totals()
    assert totals.total == Money(59894, "USD")  # 597.00 + 11.94 tax - 10.00 discount
    assert (totals.subtotal, totals.tax, totals.discount) == (
        Money(59700, "USD"),
        Money(1194, "USD"),
        Money(1000, "USD"),
    )
    first = invoice.content.lines[0]
    assert (first.label, first.quantity, first.unit_price) == (
        "IPod Nano - 8gb",
        1,
        Money(19900, "USD"),
    )
    assert invoice.customer.name == "Bob Norman"
    assert (invoice.customer.email, invoice.customer.phone) == (
        "bob.norman@mail.example.com",
        "+557734881234",
    )
    assert invoice.customer.tags == ("Léon", "Noël")  # the customer's tags, for billing rules


def test_paid_orders_and_other_gateways_need_no_invoice(order):
    assert order_invoice(order, 7, ["bank deposit"]) is None
    paid = {**order, "financial_status": "paid"}
    assert order_invoice(paid, 7, ["paiement par lien"]) is None


def test_the_customer_s_currency_is_the_invoice_s(order):
    euro = copy.deepcopy(order)
    euro["presentment_currency"] = "EUR"

    def eur(money_set, amount):
        money_set["presentment_money"] = {"amount": amount, "currency_code": "EUR"}

    for item in euro["line_items"]:
        eur(item["price_set"], "183.00")
        for tax in item["tax_lines"]:
            eur(tax["price_set"], "3.66")
    eur(euro["total_discounts_set"], "9.20")
    eur(euro["total_shipping_price_set"], "0.00")
    eur(euro["total_price_set"], "550.78")
    invoice = order_invoice(euro, 7, ["Paiement par lien"])
    assert invoice.content.totals().total == Money(55078, "EUR")
    # The shop counts in dollars: its own conversion of the order is kept for the figures.
    assert invoice.shop_total == Money(59894, "USD")


def test_an_order_that_does_not_add_up_is_refused(order):
    order["total_price_set"]["presentment_money"]["amount"] = "600.00"
    with pytest.raises(ValidationError, match="add up"):
        order_invoice(order, 7, ["Paiement par lien"])
