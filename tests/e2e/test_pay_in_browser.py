"""A customer on a phone: headless Chromium (Debian's package, driven by Playwright) opens the
payment link at 390x844, pays with the sandbox, and sees the receipt; in French and English.
The app runs on a real port with a worker thread, so the sandbox's webhook travels over HTTP."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from core.clock import utc_now
from core.jobs import JobQueue, Worker
from core.services.invoicing import create_invoice
from core.services.job_handlers import core_handlers
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.web import create_app
from tests.support.factories import merchant, order
from tests.support.live_server import free_port, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: CI must run the browser tests")
        pytest.skip("chromium not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shop_online(tmp_path, database_url):
    """Paylink serving on a loopback port with a worker, and a merchant paying by sandbox."""
    port = free_port()
    settings = Settings.from_env(
        {"PAYLINK_DATA_DIR": str(tmp_path), "PAYLINK_DATABASE_URL": database_url}
    )
    app = create_app(replace(settings, base_url=f"http://127.0.0.1:{port}"), clock=utc_now)
    ctx, env = app.extensions["paylink"], app.extensions["paylink.providers"]
    shop = merchant(ctx)
    configure_payment_account(ctx, env, shop.id, "sandbox", {})
    worker = Worker(JobQueue(ctx.db), core_handlers(ctx, env), poll_seconds=0.1)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    with serving(app, port) as base_url:
        yield ctx, shop, base_url
    worker.stop()
    thread.join(10)
    ctx.db.dispose()


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
    page.get_by_role("button", name="Pay €75.50").click()
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
