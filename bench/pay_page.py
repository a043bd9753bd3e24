"""Payment page throughput: requests per second for `/i/<code>` through gunicorn, against a bare
Flask endpoint served by the same gunicorn settings (the ratio is the page's cost), and the
page's weight in bytes (HTML + CSS, before compression).

Each page view is recorded on the invoice timeline, so every request is also a durable write
(SQLite, synchronous=FULL). Run: `python -m bench.pay_page [--requests 2000] [--clients 4]`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from flask import Flask

from core.services.invoicing import create_invoice
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.storage.migrate import upgrade
from core.web import create_app
from tests.support.factories import merchant, order
from tests.support.live_server import free_port

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


def bare_app() -> Flask:
    """The floor: Flask answering a fixed small page, nothing else."""
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> str:
        return "<!doctype html><title>bare</title><p>ok</p>"

    return app


def prepare(data_dir: Path, base_url: str) -> tuple[dict[str, str], str]:
    env = {
        "PAYLINK_DATA_DIR": str(data_dir),
        "PAYLINK_BASE_URL": base_url,
        "PAYLINK_PAY_PAGE_RATE_LIMIT": "100000000 per minute",
        "PAYLINK_LOG_LEVEL": "WARNING",
    }
    app = create_app(Settings.from_env(env))
    ctx, providers = app.extensions["paylink"], app.extensions["paylink.providers"]
    upgrade(ctx.db.engine)
    shop = merchant(ctx)
    configure_payment_account(ctx, providers, shop.id, "sandbox", {})
    invoice, _ = create_invoice(ctx, shop.id, order())
    ctx.db.dispose()
    return env, invoice.link_code


def gunicorn(app_spec: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app_spec,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--threads",
        str(GUNICORN_THREADS),
        "--log-level",
        "warning",
        "--no-control-socket",
    ]
    process = subprocess.Popen(command, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except requests.Timeout:
            time.sleep(0.1)
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start for {app_spec}")


def load(url: str, total: int, clients: int) -> float:
    """Requests per second for `total` GETs from `clients` keep-alive connections."""
    per_client = total // clients

    def client(_: int) -> None:
        with requests.Session() as session:
            for _ in range(per_client):
                response = session.get(url, timeout=10)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")

    client(0)  # warm up: imports, connections, first template compile
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return per_client * clients / (time.perf_counter() - started)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    page_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="paylink-bench-") as data_dir:
        env, code = prepare(Path(data_dir), f"http://127.0.0.1:{page_port}")
        page_server = gunicorn("core.web:create_app()", page_port, env)
        bare_server = gunicorn("bench.pay_page:bare_app()", bare_port, env)
        try:
            page_url = f"http://127.0.0.1:{page_port}/i/{code}"
            html = requests.get(page_url, timeout=10).content
            css = requests.get(f"http://127.0.0.1:{page_port}/static/pay.css", timeout=10).content
            page_rate = load(page_url, args.requests, args.clients)
            bare_rate = load(f"http://127.0.0.1:{bare_port}/bare", args.requests, args.clients)
        finally:
            stop(page_server)
            stop(bare_server)
    print(
        f"gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, {args.clients} "
        f"keep-alive clients, {args.requests} requests in all"
    )
    print(f"/i/<code>        {page_rate:8.0f} req/s")
    print(f"bare Flask       {bare_rate:8.0f} req/s")
    print(f"ratio page/bare  {page_rate / bare_rate:8.2f}")
    print(
        f"page weight      {len(html)} B HTML + {len(css)} B CSS = {len(html) + len(css)} B "
        "(no JavaScript, no font, no image but the merchant's logo)"
    )


if __name__ == "__main__":
    main()
