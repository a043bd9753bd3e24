"""/metrics as Prometheus scrapes it: off without a token, the token checked, request latency
by route pattern (not by URL), and the database's figures at each scrape."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from core.cli import make_worker
from core.events import PaymentReceived
from core.job_metrics import serve_worker_metrics
from core.money import Money
from core.services import invoice_creation, payments
from core.web import create_app
from tests.support.factories import order
from tests.support.live_server import free_port


@pytest.fixture
def scraped(settings, clock, database):
    app = create_app(
        replace(settings, metrics_token="s3cret-token"), clock=clock, database=database
    )
    return app


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_the_token_is_required_and_the_figures_come_from_the_database(scraped, ctx, shop):
    ctx = scraped.extensions["paylink"]
    client = scraped.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "p1", invoice.id, Money(7550, "EUR"), ctx.clock())
    )
    client.get(f"/i/{invoice.link_code}")
    client.get("/i/AAAAAAAAAAAA")
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert answer.status_code == 200
    found = samples(answer.get_data(as_text=True))
    assert found[("paylink_payments_total", (("provider", "sandbox"),))] == 1
    assert found[("paylink_payments_minor_units_total", (("provider", "sandbox"),))] == 7550
    routes = {
        dict(labels).get("route") for name, labels in found if name.startswith("paylink_http")
    }
    assert "/i/<code>" in routes and not any(r and "AAAA" in r for r in routes)
    assert any(name == "paylink_jobs" for name, _ in found)


def test_a_worker_s_job_timings_show_on_the_metrics(scraped, ctx, shop, clock):
    ctx = scraped.extensions["paylink"]
    invoice_creation.create_invoice(ctx, shop.id, order("jobs-1"))
    clock.advance(seconds=2)
    worker = make_worker(ctx, scraped.config["PAYLINK_SETTINGS"])
    worker.run(until_idle=True)
    client = scraped.test_client()
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    found = samples(answer.get_data(as_text=True))
    waits = {
        dict(labels)["kind"] for name, labels in found if name == "paylink_job_wait_seconds_count"
    }
    runs = {
        dict(labels)["outcome"] for name, labels in found if name == "paylink_job_run_seconds_count"
    }
    assert "messages.send_step" in waits and "done" in runs


def test_a_worker_serves_its_own_job_metrics():
    port = free_port()
    serve_worker_metrics(port)
    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "paylink_job_wait_seconds" in body and "paylink_job_run_seconds" in body
