"""Billing rules applied to new invoices: business customers get 30 days by transfer, big
baskets an early-payment discount, a product line goes by SMS; the invoice's timeline names
the rules; what the request says itself wins over the rules."""

from __future__ import annotations

from datetime import timedelta

from core.billing_rules import Conditions, CustomerType, Effects, Rule
from core.invoices import InvoiceContent, InvoiceLine
from core.money import Money
from core.services import billing, invoice_creation
from core.services.invoice_queries import invoice_timeline
from core.services.reminder_schedule import policy_of, sweep_due_reminders
from core.storage.models import Invoice, Merchant
from tests.support.factories import ACME, BILLING_RULES, eur, merchant, order


def basket(*prices: str, sku: str | None = None) -> InvoiceContent:
    lines = tuple(
        InvoiceLine(f"Article {n}", 1, eur(price), eur("0.00"), sku)
        for n, price in enumerate(prices, start=1)
    )
    return InvoiceContent("EUR", lines, eur("0.00"), eur("0.00"))


def test_rules_set_terms_methods_discount_and_channel(ctx, clock):
    shop = merchant(ctx)
    billing.set_rules(ctx, shop.id, BILLING_RULES)
    pro, _ = invoice_creation.create_invoice(
        ctx, shop.id, order("b2b", buyer=ACME, content=basket("50.00"))
    )
    assert pro.due_at == clock() + timedelta(days=30)
    assert pro.allowed_methods == ["bank_transfer"] and pro.early_discount == 0
    big, _ = invoice_creation.create_invoice(ctx, shop.id, order("big", content=basket("150.00")))
    assert big.due_at == clock() + timedelta(days=10)  # "Tout le monde"
    assert big.early_discount == 450 and big.early_discount_until == clock() + timedelta(hours=24)
    assert big.allowed_methods is None
    box, _ = invoice_creation.create_invoice(
        ctx, shop.id, order("box", content=basket("20.00", sku="BOX-M"))
    )
    assert box.preferred_channel == "sms"
    timeline = invoice_timeline(ctx, shop.id, big.id)
    [applied] = [event for event in timeline if event.kind == "rules_applied"]
    assert applied.data["rules"] == ["Gros paniers", "Tout le monde"]


def test_what_the_request_says_wins_over_the_rules(ctx, clock):
    shop = merchant(ctx)
    billing.set_rules(ctx, shop.id, BILLING_RULES)
    due = clock() + timedelta(days=2)
    invoice, _ = invoice_creation.create_invoice(
        ctx,
        shop.id,
        order(
            "own",
            content=basket("150.00"),
            due_at=due,
            early_discount=Money(100, "EUR"),
            early_discount_until=clock() + timedelta(hours=1),
        ),
    )
    assert invoice.due_at == due and invoice.early_discount == 100


def test_without_rules_nothing_changes_and_no_timeline_entry(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("plain"))
    assert invoice.due_at == clock() + timedelta(days=7)  # the merchant's terms
    assert "rules_applied" not in [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)]


def test_a_rule_can_keep_an_invoice_from_reminders(ctx, clock):
    shop = merchant(ctx)
    quiet = Rule("Pros suivis au téléphone", Conditions(customer_type=CustomerType.BUSINESS),
                 Effects(reminders=False))  # fmt: skip
    billing.set_rules(ctx, shop.id, [quiet])
    pro, _ = invoice_creation.create_invoice(ctx, shop.id, order("b2b-q", buyer=ACME))
    consumer, _ = invoice_creation.create_invoice(ctx, shop.id, order("b2c-q"))
    with ctx.db.reading() as session:
        owner = session.get(Merchant, shop.id)
        assert [s.name for s in policy_of(owner, pro).steps] == ["invoice"]
        assert len(policy_of(owner, consumer).steps) > 1
    assert pro.reminders_off and not consumer.reminders_off
    # The first message goes at once; after it, nothing is planned for the business.
    assert pro.next_reminder_at is None and consumer.next_reminder_at is not None
    clock.advance(days=30)
    sweep_due_reminders(ctx)
    with ctx.db.reading() as session:
        assert session.get(Invoice, pro.id).next_reminder_at is None


def test_one_sweep_keeps_each_invoice_to_its_own_policy(ctx, clock):
    """A first message an hour after the invoice, then reminders: in one sweep, the invoice a
    rule keeps from reminders gets its first message and nothing planned after it, however
    the sweep met the other invoice's policy first."""
    shop = merchant(ctx)
    with ctx.db.transaction() as session:
        session.get(Merchant, shop.id).reminder_policy = [
            {"name": "invoice", "offset": "PT1H", "template": "invoice"},
            {"name": "reminder-1", "offset": "PT24H", "channel": "email"},
        ]
    quiet = Rule("Pros suivis au téléphone", Conditions(customer_type=CustomerType.BUSINESS),
                 Effects(reminders=False))  # fmt: skip
    billing.set_rules(ctx, shop.id, [quiet])
    consumer, _ = invoice_creation.create_invoice(ctx, shop.id, order("b2c-first"))  # swept first
    pro, _ = invoice_creation.create_invoice(ctx, shop.id, order("b2b-then", buyer=ACME))
    clock.advance(hours=1, minutes=1)
    assert sweep_due_reminders(ctx) == 2
    with ctx.db.reading() as session:
        assert session.get(Invoice, consumer.id).next_reminder_step == "reminder-1"
        assert session.get(Invoice, pro.id).next_reminder_at is None
