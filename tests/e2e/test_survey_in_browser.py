"""The satisfaction survey on a phone, in headless Chromium, in French and English: the
receipt invites to it, the four questions are answered by touch, the customer is thanked.
Screenshots go to test-artifacts/survey/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.events import CustomerDetails, PaymentReceived
from core.money import Money
from core.services import invoice_creation, payments
from tests.support.factories import order

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "survey"
WORDS = {
    "fr": ("Donnez votre avis en 30 secondes", "Envoyer mon avis", "Merci !"),
    "en": ("Tell us what you think in 30 seconds", "Send my answer", "Thank you!"),
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_customer_answers_the_survey_on_a_phone(browser, shop_online, lang):
    ctx, shop, base_url = shop_online
    customer = CustomerDetails("Marie Curie", "marie@example.fr", None, lang)
    invoice, _ = invoice_creation.create_invoice(
        ctx, shop.id, order(f"s-{lang}", customer=customer)
    )
    payments.record_payment(
        ctx, PaymentReceived("sandbox", f"p-{lang}", invoice.id, Money(7550, "EUR"), ctx.clock())
    )
    invite, send, thanks = WORDS[lang]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale=f"{lang}-FR")
    page.goto(f"{base_url}/i/{invoice.link_code}/receipt")
    page.get_by_role("link", name=invite).click()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-390-questions.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for name, value in (("ease", "5"), ("clarity", "4"), ("recommend", "9")):
        page.locator(f'input[name="{name}"][value="{value}"] + span').click()
    page.locator("#comment").fill("Rapide et clair" if lang == "fr" else "Quick and clear")
    page.get_by_role("button", name=send).click()
    page.get_by_text(thanks).wait_for()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-390-thanks.png"), full_page=True)
    page.close()
