"""Payment page: `/i/<code>` through gunicorn against a bare Flask endpoint and the floor (the
invoice's row read by its code, a fixed page) on the same settings, on durable SQLite and
PostgreSQL, measured with wrk (throughput, three interleaved runs, medians) and hey (latency at
a constant rate); and the page's weight (HTML + CSS).

The first view is recorded; the repeat views measured here read in one read-only transaction
and write nothing. Run: `python -m bench.pay_page [--seconds 5] [--rate 300]`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

import requests
from flask import Flask
from sqlalchemy import Table, bindparam, select

from bench import load
from bench.floor import environment_database
from bench.jobs import postgres_databases
from core.services.invoice_creation import create_invoice
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.storage.migrate import upgrade
from core.storage.models import Invoice
from core.web import create_app
from tests.support.factories import merchant, order
from tests.support.live_server import free_port

#: What a phone's browser asks for: the page comes compressed (zstd first, as Flask-Compress
#: prefers it), so the measure includes the compression every real view pays.
PHONE = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def bare_app() -> Flask:
    """The floor: Flask answering a fixed small page, nothing else."""
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> str:
        return "<!doctype html><title>bare</title><p>ok</p>"

    return app


def floor_app() -> Flask:
    """The floor of a view: the invoice's row read by its link code (one indexed SELECT on
    Paylink's engine, outside any transaction, run as Paylink's hot reads are) and a fixed
    small page, nothing else."""
    db = environment_database()
    invoices = cast(Table, Invoice.__table__)
    by_code = select(invoices).where(invoices.c.link_code == bindparam("code"))
    app = Flask("floor")

    @app.get("/floor/<code>")
    def floor(code: str) -> tuple[str, int]:
        row = db.read_row(by_code, {"code": code})
        return ("<!doctype html><title>floor</title><p>ok</p>", 200) if row else ("", 404)

    return app


def prepare(data_dir: Path, base_url: str, database_url: str | None) -> tuple[dict[str, str], str]:
    env = {
        "PAYLINK_DATA_DIR": str(data_dir),
        "PAYLINK_BASE_URL": base_url,
        "PAYLINK_PAY_PAGE_RATE_LIMIT": "100000000 per minute",
        "PAYLINK_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["PAYLINK_DATABASE_URL"] = database_url
    app = create_app(Settings.from_env(env))
    ctx, providers = app.extensions["paylink"], app.extensions["paylink.providers"]
    upgrade(ctx.db.engine)
    shop = merchant(ctx)
    configure_payment_account(ctx, providers, shop.id, "sandbox", {})
    invoice, _ = create_invoice(ctx, shop.id, order())
    ctx.db.dispose()
    return env, invoice.link_code


def gunicorn(
    app_spec: str, port: int, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """`app_spec` served by gunicorn on `port`, from `cwd` (another checkout's code) if given."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app_spec,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(load.GUNICORN_WORKERS),
        "--threads",
        str(load.GUNICORN_THREADS),
        "--log-level",
        "warning",
        "--no-control-socket",
    ]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd)
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


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def run(engine: str, database_url: str | None, args: argparse.Namespace) -> None:
    page_port, bare_port, floor_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="paylink-bench-") as data_dir:
        env, code = prepare(Path(data_dir), f"http://127.0.0.1:{page_port}", database_url)
        page_server = gunicorn("core.web:create_app()", page_port, env)
        bare_server = gunicorn("bench.pay_page:bare_app()", bare_port, env)
        floor_server = gunicorn("bench.pay_page:floor_app()", floor_port, env)
        try:
            page_url = f"http://127.0.0.1:{page_port}/i/{code}"
            bare_url = f"http://127.0.0.1:{bare_port}/bare"
            floor_url = f"http://127.0.0.1:{floor_port}/floor/{code}"
            html = requests.get(page_url, timeout=10).content  # the first view, recorded
            css = requests.get(f"http://127.0.0.1:{page_port}/static/pay.css", timeout=10).content
            wire = len(
                requests.get(page_url, headers=PHONE, timeout=10, stream=True).raw.read()
            )  # the bytes as sent, still compressed
            results = load.interleaved(
                {
                    f"GET /i/<code> ({engine})": lambda: load.wrk(
                        page_url, args.seconds, server=page_server
                    ),
                    f"GET /i/<code>, compressed ({engine})": lambda: load.wrk(
                        page_url, args.seconds, headers=PHONE, server=page_server
                    ),
                    f"bare Flask GET ({engine})": lambda: load.wrk(
                        bare_url, args.seconds, server=bare_server
                    ),
                    f"floor: one read ({engine})": lambda: load.wrk(
                        floor_url, args.seconds, server=floor_server
                    ),
                }
            )
            load.table(
                f"throughput, wrk {args.seconds} s x3 interleaved, medians",
                results,
                f"bare Flask GET ({engine})",
                f"floor: one read ({engine})",
            )
            paced = load.hey(page_url, args.rate, args.seconds)
            print(
                f"GET /i/<code> ({engine}) at a constant {args.rate} req/s (hey): "
                f"p50 {paced.p50_ms:.1f} ms, p99 {paced.p99_ms:.1f} ms"
            )
        finally:
            stop(page_server)
            stop(bare_server)
            stop(floor_server)
    print(
        f"page weight: {len(html)} B HTML with its CSS inside ({len(css)} B of it), "
        f"{wire} B on the wire compressed (no JavaScript, no font, no image but the "
        "merchant's logo)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rate", type=int, default=300)
    args = parser.parse_args()
    load.ensure_tools()
    workers, threads = load.GUNICORN_WORKERS, load.GUNICORN_THREADS
    print(f"gunicorn {workers} workers x {threads} threads, durable engines")
    run("sqlite", None, args)
    with postgres_databases() as make_database:
        run("postgresql", make_database("bench_pay_page"), args)


if __name__ == "__main__":
    main()
