"""A subscription's invoice and its management page on a phone and a laptop, in French and
English, in headless Chromium: the customer pauses it by touch. Screenshots go to
test-artifacts/subscription/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.events import CustomerDetails
from core.recurrence import Frequency, Recurrence
from core.services import recurring
from core.services.recurring import ScheduleRequest
from tests.core.services.test_recurring import invoices_of
from tests.support.factories import content

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "subscription"
WORDS = {
    "fr": ("Gérer mon abonnement (suspendre ou résilier)", "Suspendre", "est suspendu"),
    "en": ("Manage my subscription (pause or cancel)", "Pause", "is paused"),
}


def subscribe(ctx, merchant_id: int, lang: str, frequency: Frequency):
    """A subscription from today for a customer who reads `lang` (email only), 19,90 €."""
    schedule, _ = recurring.create_schedule(
        ctx,
        merchant_id,
        ScheduleRequest(
            reference=f"abo-{lang}",
            customer=CustomerDetails("Marie Curie", "marie@example.fr", None, lang),
            content=content("19.90", shipping="0.00"),
            recurrence=Recurrence(frequency, ctx.clock().date()),
        ),
    )
    return schedule


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_customer_pauses_a_subscription_from_an_invoice(browser, shop_online, lang):
    ctx, shop, base_url = shop_online
    subscribe(ctx, shop.id, lang, Frequency.MONTHLY)
    recurring.issue_due_invoices(ctx)
    [invoice] = invoices_of(ctx, shop)
    manage, pause, paused = WORDS[lang]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale=f"{lang}-FR")
    page.goto(f"{base_url}/i/{invoice.link_code}")
    page.get_by_role("link", name=manage).click()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{lang}-{width}-manage.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name=pause, exact=True).click()
    page.get_by_text(paused).wait_for()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-1280-paused.png"), full_page=True)
    page.close()
