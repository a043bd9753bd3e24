"""Reaching and correcting things in headless Chromium: every button, link and field a finger
aims at is at least 24 x 24 px or has room around it (WCAG 2.2, 2.5.8) on every customer page
and every console page, phone and laptop (the measure is tests/support/target_size.js); a
failed submit lands the keyboard on a summary of what to correct."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.events import PaymentReceived
from core.money import Money
from core.services import invoice_creation, payments, recurring
from core.services.merchant_users import create_user
from tests.core.services.test_recurring import request as subscription_request
from tests.support.factories import order

MEASURE = (Path(__file__).resolve().parents[1] / "support" / "target_size.js").read_text()
WIDTHS = (390, 1280)


def small_targets(page, url: str) -> list[str]:
    page.goto(url)
    return [f"{url}: {failure}" for failure in page.evaluate(MEASURE)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_customer_pages_have_targets_a_finger_can_hit(browser, shop_online):
    ctx, shop, base_url = shop_online
    unpaid, _ = invoice_creation.create_invoice(ctx, shop.id, order("t-unpaid"))
    paid, _ = invoice_creation.create_invoice(ctx, shop.id, order("t-paid"))
    payments.record_payment(
        ctx,
        PaymentReceived("sandbox", "t-1", paid.id, Money(7550, "EUR"),
                        ctx.clock() + timedelta(minutes=5)),
    )  # fmt: skip
    recurring.create_schedule(ctx, shop.id, subscription_request("abo-t"))
    recurring.issue_due_invoices(ctx)
    pages = [f"/i/{unpaid.link_code}", f"/i/{unpaid.link_code}/return",
             f"/i/{paid.link_code}", f"/i/{paid.link_code}/receipt", "/i/AAAAAAAAAAAA"]  # fmt: skip
    failures = []
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 844}, locale="fr-FR")
        for path in pages:
            failures += small_targets(page, base_url + path)
            failures += small_targets(page, base_url + path + "?lang=en")
        page.close()
    assert failures == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_console_pages_have_targets_a_finger_can_hit(browser, shop_online):
    ctx, shop, base_url = shop_online
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("t-console"))
    recurring.create_schedule(ctx, shop.id, subscription_request("abo-c"))
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery")
    failures = []
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 844}, locale="fr-FR")
        failures += small_targets(page, f"{base_url}/console/login")
        page.get_by_label("Email").fill("lea@boutique-lune.fr")
        page.get_by_label("Mot de passe").fill("correct horse battery")
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("heading", name="Tableau de bord").wait_for()
        menu = page.locator("header nav a").evaluate_all("links => links.map(a => a.href)")
        extra = [f"/console/invoices/{invoice.id}", "/console/invoices/new", "/console/password"]
        for url in menu + [base_url + path for path in extra]:
            failures += small_targets(page, url)
        page.close()
    assert failures == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_failed_submit_moves_focus_to_a_summary_of_what_to_correct(browser, shop_online, lang):
    ctx, shop, base_url = shop_online
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery", lang)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale=f"{lang}-FR")
    page.goto(f"{base_url}/console/login?lang={lang}")
    page.locator("#email").fill("lea@boutique-lune.fr")
    page.locator("#password").fill("correct horse battery")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console/dashboard")
    page.goto(f"{base_url}/console/invoices/new")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    heading = {"fr": "Corrigez ce qui est signalé ci-dessous",
               "en": "Please correct what is marked below"}[lang]  # fmt: skip
    assert summary.get_by_role("heading").inner_text() == heading
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = summary.get_by_role("link")
    first = links.first.inner_text()
    assert first.startswith({"fr": "Nom du client\u00a0: ", "en": "Customer name: "}[lang])
    links.first.click()
    assert page.evaluate("document.activeElement.id") == "customer_name"
    page.close()
