"""The satisfaction survey page as a customer meets it on a phone: four questions, no
JavaScript, one answer per paid invoice, a form bound to its link."""

from __future__ import annotations

import re

import pytest

from core.events import PaymentReceived
from core.money import Money
from core.services import invoice_creation, payments, survey
from core.services.after_payment import SurveyMode
from tests.support.factories import order


@pytest.fixture
def paid_invoice(ctx, shop):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "p1", invoice.id, Money(7550, "EUR"), ctx.clock(), "card")
    )
    return invoice


def token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_a_customer_answers_once_and_is_thanked(client, ctx, shop, paid_invoice):
    url = f"/i/{paid_invoice.link_code}/survey"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Payer avec le lien a-t-il été facile ?" in html and "<script" not in html
    answer = {
        "token": token(html),
        "ease": "5",
        "clarity": "4",
        "recommend": "9",
        "comment": "  Très   simple  ",
    }
    done = client.post(url, data=answer)
    assert done.status_code == 200 and "Merci ! Votre avis est bien enregistré." in done.get_data(
        as_text=True
    )
    again = client.get(url)
    assert "Merci !" in again.get_data(as_text=True) and 'name="token"' not in again.get_data(
        as_text=True
    )
    summary, comments = survey.satisfaction(ctx, shop.id)
    assert (summary.answers, summary.nps, summary.ease) == (1, 100, 5.0)
    assert [(c.invoice_number, c.text) for c in comments] == [(paid_invoice.number, "Très simple")]


def test_a_missing_answer_is_asked_again_with_what_was_chosen(client, paid_invoice):
    url = f"/i/{paid_invoice.link_code}/survey"
    html = client.get(url).get_data(as_text=True)
    missing = client.post(url, data={"token": token(html), "ease": "5", "comment": "hop"})
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert "Répondez aux trois premières questions" in body
    assert 'value="5" required checked' in body and ">hop</textarea>" in body


def test_forged_or_foreign_forms_and_unpaid_invoices_are_refused(client, ctx, shop, paid_invoice):
    url = f"/i/{paid_invoice.link_code}/survey"
    forged = client.post(url, data={"token": "x", "ease": "5", "clarity": "5", "recommend": "10"})
    assert forged.status_code == 400
    unpaid, _ = invoice_creation.create_invoice(ctx, shop.id, order("2002"))
    assert client.get(f"/i/{unpaid.link_code}/survey").status_code == 404
    other = token(client.get(url).get_data(as_text=True))
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "p2", unpaid.id, Money(7550, "EUR"), ctx.clock(), "card")
    )
    foreign = client.post(
        f"/i/{unpaid.link_code}/survey",
        data={"token": other, "ease": "5", "clarity": "5", "recommend": "10"},
    )
    assert foreign.status_code == 400
    out_of_range = client.post(
        url, data={"token": other, "ease": "9", "clarity": "5", "recommend": "10"}
    )
    assert out_of_range.status_code == 422


def test_the_receipt_invites_to_the_survey_unless_the_merchant_turned_it_off(
    client, ctx, shop, paid_invoice
):
    receipt = client.get(f"/i/{paid_invoice.link_code}/receipt").get_data(as_text=True)
    assert f"/i/{paid_invoice.link_code}/survey" in receipt
    survey.set_survey_mode(ctx, shop.id, SurveyMode.OFF, 24)
    receipt = client.get(f"/i/{paid_invoice.link_code}/receipt").get_data(as_text=True)
    assert "/survey" not in receipt
    assert client.get(f"/i/{paid_invoice.link_code}/survey").status_code == 404
