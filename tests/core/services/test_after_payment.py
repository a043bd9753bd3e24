"""After a payment in full: the receipt at once (its link to the receipt page, the amount
paid, the survey link when the merchant asks it there), or the survey as its own message after
the merchant's delay; never a receipt for a partial payment, never a survey twice."""

from __future__ import annotations

from core.events import CustomerDetails, PaymentReceived
from core.money import Money
from core.satisfaction import SurveyAnswer
from core.services import invoice_creation, payments, survey
from core.services.after_payment import SurveyMode
from tests.core.services.test_messaging import sent, settle
from tests.support.factories import merchant, order


def paid(ctx, invoice, minor=7550, reference="pay_1"):
    payments.record_payment(
        ctx,
        PaymentReceived("sandbox", reference, invoice.id, Money(minor, "EUR"), ctx.clock(), "card"),
    )


def by_email(ctx, shop_id):
    created, _ = invoice_creation.create_invoice(
        ctx, shop_id, order(customer=CustomerDetails("Marie Curie", "marie@example.fr", None, "fr"))
    )
    return created


def test_a_payment_in_full_sends_the_receipt_with_the_survey_link(ctx, clock):
    shop = merchant(ctx)
    invoice = by_email(ctx, shop.id)
    settle(ctx, clock)
    paid(ctx, invoice)
    settle(ctx, clock)
    receipt = sent(ctx)[-1]
    assert (receipt.step, receipt.kind, receipt.channel) == ("receipt", "receipt", "email")
    assert receipt.subject == "Boutique Lune : paiement de 75,50 € bien enregistré"
    assert f"https://pay.example/i/{invoice.link_code}/receipt" in receipt.body
    assert f"https://pay.example/i/{invoice.link_code}/survey" in receipt.body


def test_a_partial_payment_sends_no_receipt_and_the_rest_sends_one(ctx, clock):
    shop = merchant(ctx)
    invoice = by_email(ctx, shop.id)
    settle(ctx, clock)
    paid(ctx, invoice, 5000, "part_1")
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice"]
    paid(ctx, invoice, 2550, "part_2")
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice", "receipt"]


def test_a_separate_survey_goes_out_after_the_delay_unless_answered(ctx, clock):
    shop = merchant(ctx)
    survey.set_survey_mode(ctx, shop.id, SurveyMode.SEPARATE, 24)
    first = by_email(ctx, shop.id)
    other, _ = invoice_creation.create_invoice(ctx, shop.id, order("1002"))
    settle(ctx, clock)
    paid(ctx, first)
    paid(ctx, other, reference="pay_2")
    settle(ctx, clock)
    receipt = next(m for m in sent(ctx) if m.invoice_id == first.id and m.step == "receipt")
    assert "/survey" not in receipt.body
    survey.answer_survey(ctx, other.link_code, SurveyAnswer(5, 5, 10, "Parfait"))
    clock.advance(hours=23)
    settle(ctx, clock)
    assert not [m for m in sent(ctx) if m.step == "survey"]
    clock.advance(hours=1, minutes=1)
    settle(ctx, clock)
    surveys = [m for m in sent(ctx) if m.step == "survey"]
    assert [m.invoice_id for m in surveys] == [first.id]  # the answered one is not asked again
    assert f"https://pay.example/i/{first.link_code}/survey" in surveys[0].body


def test_no_survey_when_the_merchant_turned_it_off(ctx, clock):
    shop = merchant(ctx)
    survey.set_survey_mode(ctx, shop.id, SurveyMode.OFF, 24)
    invoice = by_email(ctx, shop.id)
    settle(ctx, clock)
    paid(ctx, invoice)
    settle(ctx, clock)
    assert "/survey" not in sent(ctx)[-1].body
    clock.advance(days=2)
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice", "receipt"]
