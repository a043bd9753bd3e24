"""A subscriber on a phone agrees to automatic payment while paying with the sandbox; the next
period is then paid without them, and they stop it from their subscription's page. Headless
Chromium against a live server and worker, in French and English; screenshots go to
test-artifacts/autopay/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.recurrence import Frequency
from core.services import invoicing, recurring
from core.services.merchant_users import create_user
from tests.core.services.test_recurring import invoices_of
from tests.e2e.conftest import PHONE
from tests.e2e.test_subscription_in_browser import subscribe

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "autopay"
WORDS = {
    "fr": {
        "save": "Régler automatiquement les prochaines factures",
        "method": "Paiement de test (sandbox)",
        "pay": "Payer 19,90\u00a0€",
        "received": "Paiement reçu. Merci !",
        "manage": "Gérer mon abonnement (suspendre ou résilier)",
        "on": "Paiement automatique avec Visa\u00a0••••\u00a04242",
        "stop": "Arrêter le paiement automatique",
        "off": "Pas de paiement automatique",
        "paid": "Payée",
    },
    "en": {
        "save": "Pay this subscription's next invoices automatically",
        "method": "Test payment (sandbox)",
        "pay": "Pay €19.90",
        "received": "Payment received. Thank you!",
        "manage": "Manage my subscription (pause or cancel)",
        "on": "Automatic payment with Visa\u00a0••••\u00a04242",
        "stop": "Stop automatic payment",
        "off": "No automatic payment",
        "paid": "Paid",
    },
}


def wait_for(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.1)
    return found


def shot(page, lang: str, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{lang}-{width}-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size(PHONE)


def look_in_console(browser, ctx, shop, base_url: str, invoice_id: int) -> None:
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery")
    page = browser.new_page(viewport=PHONE, locale="fr-FR")
    page.goto(f"{base_url}/console/login")
    page.get_by_label("Email").fill("lea@boutique-lune.fr")
    page.get_by_label("Mot de passe").fill("correct horse battery")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    page.goto(f"{base_url}/console/recurring")
    page.get_by_text("Visa\u00a0••••\u00a04242, depuis le 2 mars 2026").wait_for()
    # On a phone each subscription is a block of labelled values, its actions within reach.
    for action in ("Suspendre", "Arrêter le paiement automatique", "Résilier"):
        box = page.get_by_role("button", name=action).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], action
    next_label = page.evaluate(
        "getComputedStyle(document.querySelector('td[data-label]'), '::before').content"
    )
    assert next_label == '"Montant"'
    shot(page, "fr", "console-subscriptions")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Subscriptions").wait_for()
    shot(page, "en", "console-subscriptions")
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Abonnements").wait_for()
    page.goto(f"{base_url}/console/invoices/{invoice_id}")
    page.get_by_text("Paiement automatique demandé au prestataire").wait_for()
    shot(page, "fr", "console-invoice")
    page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_subscriber_agrees_is_charged_next_period_then_stops(browser, shop_online, lang):
    ctx, shop, base_url = shop_online
    words = WORDS[lang]
    schedule = subscribe(ctx, shop.id, lang, Frequency.WEEKLY)
    recurring.issue_due_invoices(ctx)
    [first] = invoices_of(ctx, shop)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE, locale=f"{lang}-FR")
    page.goto(f"{base_url}/i/{first.link_code}")
    shot(page, lang, "consent")
    page.get_by_label(words["save"]).check()
    page.get_by_role("button", name=words["method"]).click()
    shot(page, lang, "sandbox")
    page.get_by_role("button", name=words["pay"]).click()
    page.get_by_text(words["received"]).wait_for(timeout=20_000)
    wait_for(lambda: recurring.schedule_of(ctx, shop.id, schedule.id).autopay_label)

    ctx.clock.advance(days=7)
    recurring.issue_due_invoices(ctx)
    second = invoices_of(ctx, shop)[1]
    wait_for(lambda: invoicing.load_invoice_by_id(ctx, shop.id, second.id).status.value == "paid")
    page.goto(f"{base_url}/i/{second.link_code}")
    assert page.locator(".status").inner_text() == words["paid"]
    shot(page, lang, "charged")
    if lang == "fr":  # the merchant sees it in the console: the subscription, the invoice
        look_in_console(browser, ctx, shop, base_url, second.id)
    page.get_by_role("link", name=words["manage"]).click()
    page.get_by_text(words["on"]).wait_for()
    shot(page, lang, "subscription")
    page.get_by_role("button", name=words["stop"]).click()
    page.get_by_text(words["off"]).wait_for()
    assert recurring.schedule_of(ctx, shop.id, schedule.id).autopay_label is None
    page.close()
