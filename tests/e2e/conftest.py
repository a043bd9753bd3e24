"""Browser tests: Debian's Chromium driven by Playwright, against Paylink serving on a loopback
port with a worker thread (so the sandbox's webhooks travel over HTTP)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from core.jobs import JobQueue, Worker
from core.services.job_handlers import core_handlers
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.web import create_app
from tests.support.clock import TickingClock
from tests.support.factories import merchant
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
def sandbox_on() -> bool:
    """Whether the merchant starts with the sandbox enabled (the console test enables it)."""
    return True


@pytest.fixture
def shop_online(tmp_path, database_url, sandbox_on):
    """Paylink serving on a loopback port with a worker, and a merchant paying by sandbox."""
    port = free_port()
    settings = Settings.from_env(
        {"PAYLINK_DATA_DIR": str(tmp_path), "PAYLINK_DATABASE_URL": database_url}
    )
    app = create_app(replace(settings, base_url=f"http://127.0.0.1:{port}"), clock=TickingClock())
    ctx, env = app.extensions["paylink"], app.extensions["paylink.providers"]
    shop = merchant(ctx)
    if sandbox_on:
        configure_payment_account(ctx, env, shop.id, "sandbox", {})
    worker = Worker(JobQueue(ctx.db, ctx.clock), core_handlers(ctx, env), poll_seconds=0.1)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    with serving(app, port) as base_url:
        yield ctx, shop, base_url
    worker.stop()
    thread.join(10)
    ctx.db.dispose()
