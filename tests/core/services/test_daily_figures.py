"""The daily figures the worker keeps add up to what the raw tables say, on random histories
(Hypothesis), in the merchant's own days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from statistics import median_low

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.events import CustomerDetails, PaymentReceived
from core.kpis import kpis
from core.money import Money
from core.services import invoice_creation, payments
from core.services.daily_figures import figures_of_day, refresh_merchant, stored_days
from core.storage.models import Merchant
from tests.core.services.test_messaging import settle
from tests.support.factories import content, merchant, order

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

history = st.lists(
    st.tuples(
        st.integers(0, 9 * 24),  # hours after START the invoice is made and sent
        st.one_of(st.none(), st.integers(0, 200)),  # hours until it is paid, or never
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(invoices=history)
def test_rollups_equal_the_raw_figures(ctx, clock, invoices):
    shop = merchant(ctx, f"Boutique {len(invoices)} {clock.advance(seconds=1).timestamp()}")
    delays, collected = [], 0
    for n, (made, paid_after) in enumerate(sorted(invoices, key=lambda item: item[0])):
        clock.now = START + timedelta(hours=made)
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order(f"o-{n}"))
        if paid_after is not None:
            clock.now = START + timedelta(hours=made + paid_after)
            payments.record_payment(
                ctx,
                PaymentReceived("sandbox", f"p-{n}", invoice.id, Money(7550, "EUR"), clock.now),
            )
            delays.append(paid_after)
            collected += 7550
    clock.now = START + timedelta(days=20)
    refresh_merchant(ctx, shop.id)
    days = stored_days(ctx, shop.id, START.date() - timedelta(days=1), clock.now.date())
    result = kpis(days)
    assert (result.sent, result.paid, result.collected) == (len(invoices), len(delays), collected)
    assert result.median_delay_hours == (median_low(sorted(delays)) if delays else None)
    terms = 7 * 24  # the merchant's payment terms, in hours
    unpaid = sum(1 for _, after in invoices if after is None or after > terms)
    assert result.unpaid_rate == unpaid / len(invoices)  # all are past their due date by now
    refresh_merchant(ctx, shop.id)  # again: the same rows, recomputed
    assert kpis(stored_days(ctx, shop.id, START.date(), clock.now.date())) == result


def test_a_day_splits_by_first_channel_and_by_payment_method(ctx, clock):
    clock.now = START + timedelta(hours=3)  # 10:00 in Paris: SMS may go out
    shop = merchant(ctx)
    sms_invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("c-1"))
    settle(ctx, clock)  # the invoice message goes out by SMS (the customer has a phone)
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "c-p1", sms_invoice.id, Money(7550, "EUR"), clock(), "card")
    )
    with ctx.db.reading() as session:
        figures = figures_of_day(session, session.get(Merchant, shop.id), START.date(), clock())
    assert figures.by_channel == {"sms": (1, 1)}
    assert figures.by_method == {"card": (0, 1)}  # paid by card without a checkout of ours


def test_money_in_the_customer_s_currency_counts_at_the_store_s_own_rate(ctx, clock):
    clock.now = START + timedelta(hours=3)
    shop = merchant(ctx)  # counts in euros
    dollars = order("usd-1", content=content("100.00", shipping="0.00", currency="USD"))
    converted = replace(dollars, shop_total=Money(9213, "EUR"))  # the store's rate: 0.9213
    usd, _ = invoice_creation.create_invoice(ctx, shop.id, converted)
    francs, _ = invoice_creation.create_invoice(
        ctx, shop.id, order("chf-1", content=content("50.00", shipping="0.00", currency="CHF"))
    )
    euro, _ = invoice_creation.create_invoice(ctx, shop.id, order("eur-1"))
    for invoice, money in ((usd, Money(4000, "USD")), (francs, Money(5000, "CHF")),
                           (euro, Money(7550, "EUR"))):  # fmt: skip
        payments.record_payment(
            ctx, PaymentReceived("sandbox", f"p-{invoice.id}", invoice.id, money, clock())
        )
    with ctx.db.reading() as session:
        figures = figures_of_day(session, session.get(Merchant, shop.id), START.date(), clock())
    # 40 dollars of a 100-dollar order the store put at 92,13 €: 36,85 € (36,852 rounded);
    # the francs have no rate of the store's, so they are not guessed at.
    assert figures.collected == 7550 + 3685
    assert usd.shop_currency == "EUR" and usd.shop_total == 9213 and francs.shop_total is None


def test_older_days_are_refreshed_hourly_and_the_last_two_at_every_run(ctx, clock):
    clock.now = START
    shop = merchant(ctx)
    invoice_creation.create_invoice(ctx, shop.id, order("h-1"))
    clock.now = START + timedelta(days=10)
    assert refresh_merchant(ctx, shop.id) == 11  # the whole history, once
    clock.advance(minutes=10)
    assert refresh_merchant(ctx, shop.id) == 2  # today and yesterday
    clock.advance(hours=1)
    assert refresh_merchant(ctx, shop.id) == 11


def test_a_customer_is_a_new_payer_on_the_day_of_their_first_paid_invoice(ctx, clock):
    shop = merchant(ctx)
    marie = order("n-1")  # marie@example.fr (and a phone)
    by_phone = order("n-3", customer=CustomerDetails("Léa", None, "06 98 76 54 32", "fr"))

    def paid(request, day: int) -> None:
        clock.now = START + timedelta(days=day)
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, request)
        payments.record_payment(
            ctx,
            PaymentReceived(
                "sandbox", request.external_id, invoice.id, Money(7550, "EUR"), clock()
            ),
        )

    paid(marie, 0)
    paid(order("n-2"), 2)  # Marie again: not new
    paid(by_phone, 2)  # Léa has no email: known by her phone
    paid(order("n-4", customer=CustomerDetails("Léa", None, "+33698765432", "fr")), 3)
    with ctx.db.reading() as session:
        shop_row = session.get(Merchant, shop.id)
        new = [
            figures_of_day(
                session, shop_row, (START + timedelta(days=d)).date(), clock()
            ).new_payers
            for d in range(4)
        ]
    assert new == [1, 0, 1, 0]
