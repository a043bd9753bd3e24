"""Store webhook intake: signed order deliveries per second through gunicorn (2 workers) into
durable SQLite and PostgreSQL, each verified, stored once with its job and answered, against a
bare Flask endpoint answering 200 on the same gunicorn settings: the ratio, and the p50/p99
latency of a delivery. Shopify `orders/create` (app secret, shop header), WooCommerce
`order.created` (the store's own secret, looked up per delivery; `wp_json_encode` bodies) and
the PrestaShop and Magento modules' order events (the store's secret, a signed timestamp, an
event id; Magento names its store in a header).

Run: `python -m bench.webhooks [--deliveries 2000] [--clients 4]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from flask import Flask

from bench.jobs import postgres_databases
from bench.pay_page import gunicorn, stop
from connectors import signed_events
from core.services.accounts import connect_store
from core.settings import Settings
from core.storage.migrate import upgrade
from core.web import create_app
from tests.support.factories import merchant
from tests.support.fake_woocommerce import delivery_headers, woo_order, wp_json_encode
from tests.support.live_server import free_port

SECRET = "shpss_bench_secret_0123456789abcdef"
SHOP = "lune.myshopify.com"
WOO_SECRET = "benchWooSecret0123456789abcdefABCDEF0123456789ab"
MG_SECRET = "benchMagentoConsumerSecret0123456"
PS_SECRET = "benchPrestaShopSecret0123456789abcdef0123456789abcdef0123456789ab"


def bare_app() -> Flask:
    """The floor: Flask reading the body and answering 200, nothing else."""
    app = Flask("bare")

    @app.post("/bare")
    def bare() -> tuple[str, int]:
        return "", 200

    return app


def order_body(n: int) -> bytes:
    return json.dumps(
        {
            "id": 5_000_000 + n,
            "name": f"#{n}",
            "financial_status": "pending",
            "payment_gateway_names": ["Paylink"],
            "currency": "EUR",
            "presentment_currency": "EUR",
            "total_price": "75.50",
            "line_items": [{"title": "Bougie", "quantity": 1, "price": "75.50"}],
            "email": "marie@example.fr",
        }
    ).encode()


def woo_body(n: int) -> bytes:
    return wp_json_encode(
        woo_order(id=6_000_000 + n, number=str(n), date_modified_gmt="2026-03-02T09:21:46")
    )


Delivery = Callable[[int], tuple[bytes, dict[str, str]]]


def shopify_delivery(n: int) -> tuple[bytes, dict[str, str]]:
    body = order_body(n)
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return body, {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": f"bench-{n}",
    }


def woo_delivery(n: int) -> tuple[bytes, dict[str, str]]:
    body = woo_body(n)
    return body, delivery_headers(body, WOO_SECRET, "order.created")


def prestashop_delivery(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "order.validated", "id_order": 7_000_000 + n, "id_cart": n})
    headers = signed_events.signed_headers(PS_SECRET, datetime.now(UTC), body.encode())
    headers[signed_events.EVENT_HEADER] = f"bench-{n}"
    return body.encode(), headers


def magento_delivery(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "order.placed", "order_id": 8_000_000 + n}).encode()
    headers = signed_events.signed_headers(MG_SECRET, datetime.now(UTC), body)
    headers[signed_events.EVENT_HEADER] = f"bench-{n}"
    headers["X-Paylink-Store"] = "magento.example"
    return body, headers


def prepare(data_dir: Path, database_url: str | None) -> tuple[dict[str, str], int, int]:
    """The settings' environment, and the WooCommerce and PrestaShop stores' ids (their
    delivery URLs)."""
    env = {
        "PAYLINK_DATA_DIR": str(data_dir),
        "PAYLINK_LOG_LEVEL": "WARNING",
        "PAYLINK_SHOPIFY_CLIENT_ID": "bench",
        "PAYLINK_SHOPIFY_CLIENT_SECRETS": SECRET,
    }
    if database_url:
        env["PAYLINK_DATABASE_URL"] = database_url
    app = create_app(Settings.from_env(env))
    ctx = app.extensions["paylink"]
    upgrade(ctx.db.engine)
    shop = merchant(ctx)
    connect_store(ctx, shop.id, "shopify", SHOP, {"access_token": "shpat_bench"})
    woo = connect_store(
        ctx,
        shop.id,
        "woocommerce",
        "boutique.example",
        {"store_url": "https://boutique.example", "webhook_secret": WOO_SECRET},
    )
    presta = connect_store(
        ctx,
        shop.id,
        "prestashop",
        "shop.example",
        {
            "shop_url": "https://shop.example",
            "webservice_key": "K" * 32,
            "signing_secret": PS_SECRET,
        },
    )
    connect_store(
        ctx,
        shop.id,
        "magento",
        "magento.example",
        {
            "store_url": "https://magento.example",
            "consumer_key": "k",
            "consumer_secret": MG_SECRET,
            "access_token": "t",
            "access_secret": "s",
        },
    )
    ctx.db.dispose()
    return env, woo.id, presta.id


def deliver(url: str, total: int, clients: int, delivery: Delivery) -> tuple[float, list[float]]:
    """Deliveries per second, and each delivery's latency in seconds."""
    per_client = total // clients
    latencies: list[float] = []

    def client(index: int) -> None:
        with requests.Session() as session:
            for n in range(per_client):
                body, headers = delivery(index * per_client + n)
                started = time.perf_counter()
                response = session.post(url, data=body, headers=headers, timeout=10)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return per_client * clients / (time.perf_counter() - started), latencies


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


def run(engine: str, database_url: str | None, args: argparse.Namespace) -> None:
    port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="paylink-bench-") as data_dir:
        env, woo_store, presta_store = prepare(Path(data_dir), database_url)
        app_server = gunicorn("core.web:create_app()", port, env)
        bare_server = gunicorn("bench.webhooks:bare_app()", bare_port, env)
        platforms: list[tuple[str, str, Delivery]] = [
            ("shopify", "/connectors/shopify/webhooks", shopify_delivery),
            ("woocommerce", f"/connectors/woocommerce/webhooks/{woo_store}", woo_delivery),
            ("prestashop", f"/connectors/prestashop/events/{presta_store}", prestashop_delivery),
            ("magento", "/connectors/magento/events", magento_delivery),
        ]
        try:
            bare_rate, bare_latencies = deliver(
                f"http://127.0.0.1:{bare_port}/bare", args.deliveries, args.clients, woo_delivery
            )
            for platform, path, delivery in platforms:
                url = f"http://127.0.0.1:{port}{path}"
                deliver(url, 40, 2, lambda n, d=delivery: d(10_000_000 + n))  # warm up
                rate, latencies = deliver(url, args.deliveries, args.clients, delivery)
                print(
                    f"{engine:<11} {platform:<12} {rate:6.0f}/s  "
                    f"p50 {percentile(latencies, 0.5):6.1f} ms  "
                    f"p99 {percentile(latencies, 0.99):6.1f} ms | bare {bare_rate:6.0f}/s  "
                    f"p50 {percentile(bare_latencies, 0.5):5.1f} ms | ratio {rate / bare_rate:.2f}",
                    flush=True,
                )
        finally:
            stop(app_server)
            stop(bare_server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(
        f"gunicorn 2 workers x 4 threads, {args.clients} keep-alive clients, "
        f"{args.deliveries} signed order deliveries per platform, durable engines"
    )
    run("sqlite", None, args)
    with postgres_databases() as make_database:
        run("postgresql", make_database("bench_webhooks"), args)


if __name__ == "__main__":
    main()
