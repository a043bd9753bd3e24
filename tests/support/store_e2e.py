"""What the store platforms' end-to-end tests share: Paylink serving on a loopback port with a
merchant paying by sandbox, texts going to a fake SMSFactor on the test's HTTP server, an
in-process worker on the test's clock, and the customer paying a link with the sandbox."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from core.jobs import JobQueue, Worker
from core.services.job_handlers import core_handlers
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.storage.models import Merchant
from core.web import create_app
from tests.core.web.conftest import settings as web_settings
from tests.support.factories import merchant
from tests.support.live_server import free_port
from tests.support.providers import json_answer


@dataclass
class LivePaylink:
    app: Any
    settings: Settings
    port: int
    owner: Merchant
    worker: Worker
    texts: list[dict[str, str]]

    @property
    def ctx(self) -> Any:
        return self.app.extensions["paylink"]

    @property
    def connectors(self) -> Any:
        return self.app.extensions["paylink.connectors"]

    def last_link(self) -> str:
        """The payment link in the last text that asked for money (a receipt's link leads to
        its receipt page instead)."""
        for text in reversed(self.texts):
            found = re.search(r"http://127\.0\.0\.1:\d+/i/[A-Za-z0-9_-]+(?=\s|$)", text["text"])
            if found:
                return found.group(0)
        raise AssertionError(f"no payment link in {self.texts}")

    def pay_by_sandbox(self, link: str) -> str:
        """The customer opens the link and pays with the sandbox; returns the page's text."""
        code = link.rsplit("/", 1)[-1]
        customer = self.app.test_client()
        page = customer.get(f"/i/{code}").get_data(as_text=True)
        form = re.search(r'name="token" value="([^"]+)"', page)
        assert form, page
        checkout = customer.post(
            f"/i/{code}/pay", data={"token": form.group(1), "method": "sandbox"}
        )
        customer.post(
            checkout.location.removeprefix(self.settings.base_url),
            data={"outcome": "payment.succeeded"},
        )
        return page

    def pay_and_push(self, link: str) -> str:
        """The customer pays; the worker applies the sandbox's webhook, then pushes to the store."""
        page = self.pay_by_sandbox(link)
        self.worker.run(until_idle=True)  # the sandbox webhook, then its processing
        self.worker.run(until_idle=True)  # the push to the store
        return page


def live_paylink(
    database_url: str, tmp_path: Any, database: Any, clock: Any, httpserver: Any
) -> LivePaylink:
    port = free_port()
    base = httpserver.url_for("").rstrip("/")
    settings = replace(
        web_settings.__wrapped__(database_url, tmp_path),
        base_url=f"http://127.0.0.1:{port}",
        allow_private_stores=True,
        provider_api_bases={"smsfactor": base},
        sms_channel="smsfactor",
        environ={"PAYLINK_SMSFACTOR_TOKEN": "sf-token"},
    )
    app = create_app(settings, clock, database)
    ctx = app.extensions["paylink"]
    owner = merchant(ctx)
    providers = app.extensions["paylink.providers"]
    configure_payment_account(ctx, providers, owner.id, "sandbox", {})
    texts: list[dict[str, str]] = []
    httpserver.expect_request("/send", method="GET").respond_with_handler(
        lambda request: (
            texts.append(dict(request.args))
            or json_answer({"status": 1, "message": "OK", "ticket": "1", "sent": 1, "invalid": 0})
        )
    )
    worker = Worker(
        JobQueue(ctx.db, clock),
        core_handlers(
            ctx,
            providers,
            app.extensions["paylink.messaging"],
            app.extensions["paylink.connectors"],
        ),
    )
    return LivePaylink(app, settings, port, owner, worker, texts)
