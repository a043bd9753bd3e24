"""`GET /metrics` for Prometheus (prometheus-client): request latency by route, and what the
database says of jobs, messages, payments and webhooks at each scrape.

Off unless `PAYLINK_METRICS_TOKEN` is set; then the scraper sends it as a bearer token
(compared in constant time). With several gunicorn workers, set `PROMETHEUS_MULTIPROC_DIR` to
an empty directory (prometheus-client reads it) so every worker's histograms are added up.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from core.job_metrics import JOB_RUN_SECONDS, JOB_WAIT_SECONDS
from core.services.context import ServiceContext
from core.services.operations import snapshot

REQUEST_SECONDS = Histogram(
    "paylink_http_request_seconds",
    "Time to answer an HTTP request, by route pattern, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class DatabaseCollector(Collector):
    """The operations snapshot as metric families, read at each scrape."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = snapshot(self.ctx)
        jobs = GaugeMetricFamily(
            "paylink_jobs", "Jobs by kind and status", labels=["kind", "status"]
        )
        for kind, status, count in now.jobs:
            jobs.add_metric([kind, status], count)
        yield jobs
        late = GaugeMetricFamily(
            "paylink_job_oldest_due_seconds",
            "How long the oldest due pending job of each kind has waited",
            labels=["kind"],
        )
        for kind, seconds in now.oldest_due_seconds:
            late.add_metric([kind], seconds)
        yield late
        messages = CounterMetricFamily(
            "paylink_messages", "Messages by channel and status", labels=["channel", "status"]
        )
        for channel, status, count in now.messages:
            messages.add_metric([channel, status], count)
        yield messages
        payments = CounterMetricFamily(
            "paylink_payments", "Payments recorded, by provider", labels=["provider"]
        )
        amounts = CounterMetricFamily(
            "paylink_payments_minor_units",
            "Money recorded by provider, in minor units of any currency",
            labels=["provider"],
        )
        for provider, count, total in now.payments:
            payments.add_metric([provider], count)
            amounts.add_metric([provider], total)
        yield payments
        yield amounts
        webhooks = CounterMetricFamily(
            "paylink_webhooks",
            "Webhook deliveries stored, by source, platform or provider, and state",
            labels=["source", "name", "state"],
        )
        for source, name, state, count in now.webhooks:
            webhooks.add_metric([source, name, state], count)
        yield webhooks


def install_metrics(
    app: Flask, ctx: ServiceContext, token: str | None, multiprocess_dir: bool
) -> None:
    """Time every request, and serve /metrics when a token is configured."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    metrics = Blueprint("metrics", __name__)

    @metrics.get("/metrics")
    def scrape() -> Response:
        if not token:
            abort(404)
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(presented.encode(), token.encode()):
            abort(401)
        registry = CollectorRegistry()
        if multiprocess_dir:
            multiprocess.MultiProcessCollector(registry)
        else:  # one process: its own histograms (job ones when it runs jobs inline)
            for histogram in (REQUEST_SECONDS, JOB_WAIT_SECONDS, JOB_RUN_SECONDS):
                registry.register(histogram)
        registry.register(DatabaseCollector(ctx))
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.register_blueprint(metrics)
