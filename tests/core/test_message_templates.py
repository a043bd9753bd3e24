"""Message templates: the defaults in both languages, each SMS one GSM-7 segment at the longest
values the issue promises, and merchants' templates checked and sandboxed."""

import pytest

from core.errors import ValidationError
from core.message_templates import (
    LOCALES,
    Part,
    check_template,
    default_template,
    render_template,
)
from core.money import Money
from core.reminders import MessageKind
from core.sms import Encoding, measure, sms_money

#: The longest values a default SMS must hold in one segment: a 20-character merchant name,
#: 9 999,99, a 40-character base URL with its 12-character code, a long first name.
LONGEST = {
    "first_name": "Marie-Christine",
    "customer_name": "Marie-Christine Dupont",
    "merchant": "Boutique Lune & Soie",
    "invoice_number": "F-2026-000123",
    "due_date": "30 septembre 2026",
    "expires": "30/09 23:59",
    "link": "https://paiement.boutique-lunesoie.fr.eu" + "/i/Ab3dE5fG7h12",
    "stop": "STOP au 36111",
    "promo_code": "",  # only early payers' receipts carry one (see below)
    "promo_value": "",
    "promo_until": "",
}
#: An early payer's code, at its longest: a receipt carrying it may take a second segment.
PROMO = {
    "promo_code": "THANKS-7KQ2-X9MD",
    "promo_value": "9 999,99 €",
    "promo_until": "30 septembre 2026",
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_default_sms_fits_one_gsm7_segment(kind, locale):
    assert len(LONGEST["merchant"]) == 20 and len(LONGEST["link"]) == 40 + 15
    amount = sms_money(Money(999999, "EUR"), "fr_FR" if locale == "fr" else "en_GB")
    text = render_template(default_template(kind, locale, Part.SMS), {**LONGEST, "amount": amount})
    sms = measure(" ".join(text.split()))
    assert (sms.encoding, sms.segments) == (Encoding.GSM7, 1), (text, sms)
    assert "Marie-Christine" in text and LONGEST["link"] in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_receipt_with_an_early_payer_s_code_fits_two_segments(locale):
    amount = sms_money(Money(999999, "EUR"), "fr_FR" if locale == "fr" else "en_GB")
    template = default_template(MessageKind.RECEIPT, locale, Part.SMS)
    text = " ".join(render_template(template, {**LONGEST, **PROMO, "amount": amount}).split())
    sms = measure(text)
    assert (sms.encoding, sms.segments) == (Encoding.GSM7, 2), (text, sms)
    assert PROMO["promo_code"] in text and PROMO["promo_until"] in text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_default_email_renders(kind, locale):
    values = {**LONGEST, "amount": "75,50 €"}
    subject = render_template(default_template(kind, locale, Part.SUBJECT), values)
    body = render_template(default_template(kind, locale, Part.BODY), values)
    assert "\n" not in subject and "Boutique Lune" in subject
    assert body.startswith(("Bonjour", "Hello")) and LONGEST["link"] in body


def test_unknown_variables_and_broken_syntax_are_refused_with_a_reason():
    with pytest.raises(ValidationError, match="unknown variable customer_iban"):
        check_template("Hello {{ customer_iban }}")
    with pytest.raises(ValidationError, match="line 1"):
        check_template("Hello {{ first_name ")
    with pytest.raises(ValidationError, match="at most"):
        check_template("x" * 5000)


def test_templates_reach_no_attribute():
    with pytest.raises(ValidationError, match=r"not \.$"):
        render_template("{{ link.__class__.__mro__ }}", {"link": "x"})
    with pytest.raises(ValidationError):
        render_template("{{ first_name.__init__.__globals__ }}", {"first_name": "x"})


def test_missing_values_render_empty_not_as_errors():
    assert render_template("Hi {{ first_name }}!{{ promo_code }}", {}) == "Hi !"
