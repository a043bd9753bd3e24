"""A customer on a phone: headless Chromium (Debian's package, driven by Playwright) opens the
payment link at 390x844, pays with the sandbox, and sees the receipt; in French and English.
The app runs on a real port with a worker thread, so the sandbox's webhook travels over HTTP."""

from __future__ import annotations

import pytest

from core.services.invoice_creation import create_invoice
from tests.e2e.conftest import PHONE
from tests.support.factories import order


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_customer_pays_on_a_phone_and_gets_the_receipt(browser, shop_online, tmp_path):
    ctx, shop, base_url = shop_online
    invoice, _ = create_invoice(ctx, shop.id, order())
    page = browser.new_page(viewport=PHONE, locale="fr-FR")
    page.goto(f"{base_url}/i/{invoice.link_code}")
    assert page.locator("h1 .amount").inner_text() == "75,50\u00a0€"
    assert page.locator(".status").inner_text() == "À payer"
    page.screenshot(path=str(tmp_path / "invoice-fr.png"), full_page=True)
    page.get_by_role("button", name="Paiement de test (sandbox)").click()
    page.get_by_role("button", name="Payer 75,50\u00a0€").click()  # the sandbox speaks French too
    page.wait_for_url(f"**/i/{invoice.link_code}/return")
    page.get_by_text("Paiement reçu. Merci !").wait_for(timeout=20_000)  # refreshes by itself
    page.get_by_role("link", name="Voir le reçu").click()
    assert page.get_by_role("heading", name="Reçu de paiement").is_visible()
    assert "75,50\u00a0€" in page.locator(".receipt").inner_text()
    page.goto(f"{base_url}/i/{invoice.link_code}")
    assert page.locator(".status").inner_text() == "Payée"
    assert page.get_by_role("button", name="Paiement de test (sandbox)").count() == 0
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_same_page_in_english(browser, shop_online):
    ctx, shop, base_url = shop_online
    invoice, _ = create_invoice(ctx, shop.id, order())
    page = browser.new_page(viewport=PHONE, locale="en-GB")
    page.goto(f"{base_url}/i/{invoice.link_code}")
    page.get_by_role("link", name="English").click()
    assert page.locator("h1 .label").inner_text() == "Amount due"
    assert page.locator("h1 .amount").inner_text() == "€75.50"
    assert page.get_by_role("button", name="Test payment (sandbox)").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone: no sideways scrolling
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("locale", "title"), [("fr-FR", "Lien introuvable"), ("en-GB", "Link not found")]
)
def test_a_mistyped_link_explains_itself_in_the_browser_s_language(
    browser, shop_online, tmp_path, locale, title
):
    _, _, base_url = shop_online
    page = browser.new_page(viewport=PHONE, locale=locale)
    answer = page.goto(f"{base_url}/i/AAAAAAAAAAAA")
    assert answer is not None and answer.status == 404
    assert page.get_by_role("heading", name=title).is_visible()
    page.screenshot(path=str(tmp_path / f"wrong-link-{locale}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_own_style_and_script_are_allowed_by_their_policy(browser, shop_online):
    """The style element is allowed by its hash (the same bytes on every view), the return
    page's script by its nonce: a policy that did not match would leave the page unstyled or
    still, and Chromium would say so on its console."""
    ctx, shop, base_url = shop_online
    invoice, _ = create_invoice(ctx, shop.id, order())
    page = browser.new_page(viewport=PHONE, locale="fr-FR")
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    header = "getComputedStyle(document.querySelector('header.brand')).backgroundColor"
    for _ in range(2):  # the first view, then the one served from the page cache
        page.goto(f"{base_url}/i/{invoice.link_code}")
        assert page.evaluate(header) == "rgb(31, 111, 235)"  # the merchant's #1f6feb
    fetched = lambda request: request.resource_type == "fetch"  # noqa: E731
    with page.expect_request(fetched, timeout=10_000) as asked_again:  # its script, after 3 s
        page.goto(f"{base_url}/i/{invoice.link_code}/return")
        assert page.evaluate(header) == "rgb(31, 111, 235)"
    assert asked_again.value.url.endswith(f"/i/{invoice.link_code}/return")
    assert not [text for text in refused if "Content Security Policy" in text], refused
    page.close()
