"""Invoice creation through the API: `POST /api/v1/invoices` (each with its own reference, so
each makes an invoice: numbered, its lines, timeline and jobs written) through gunicorn into
durable SQLite and PostgreSQL, against a bare Flask POST and the floor (the key compared, the
JSON parsed, one durable INSERT) on the same settings; wrk, three interleaved runs, medians.

Run: `python -m bench.api_create [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import subprocess
import tempfile
from pathlib import Path

from flask import Flask, request

from bench import load
from bench.floor import DurableInsert
from bench.pay_page import gunicorn, stop
from core.services.accounts import create_api_key
from core.settings import Settings
from core.storage.migrate import upgrade
from core.web import create_app
from tests.support.factories import merchant
from tests.support.live_server import free_port


def prepare(data_dir: Path, database_url: str | None) -> tuple[dict[str, str], str]:
    env = {
        "PAYLINK_DATA_DIR": str(data_dir),
        "PAYLINK_LOG_LEVEL": "WARNING",
        "PAYLINK_API_RATE_LIMIT": "100000000 per minute",
    }
    if database_url:
        env["PAYLINK_DATABASE_URL"] = database_url
    app = create_app(Settings.from_env(env))
    ctx = app.extensions["paylink"]
    upgrade(ctx.db.engine)
    shop = merchant(ctx)
    _, key = create_api_key(ctx, shop.id, "bench")
    ctx.db.dispose()
    return env, key


def invoice_body(n: int) -> bytes:
    return json.dumps(
        {
            "currency": "EUR",
            "reference": f"bench-{n}",
            "lines": [{"label": "Bougie parfumée", "quantity": 2, "unit_price": 1850, "tax": 617}],
            "shipping": 490,
            "customer": {"name": "Marie Curie", "email": "marie@example.fr", "locale": "fr"},
        }
    ).encode()


def floor_app() -> Flask:
    """The floor of a creation: the API key compared in constant time, the JSON parsed, and
    one durable INSERT (its own transaction, on Paylink's engine settings), nothing else."""
    invoices = DurableInsert("floor_invoices")
    expected = f"Bearer {os.environ['BENCH_API_KEY']}"
    app = Flask("floor")

    @app.post("/floor")
    def floor() -> tuple[str, int]:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return "", 401
        raw = request.get_data()
        invoices.keep(json.loads(raw)["reference"], raw)
        return "", 201

    return app


def run(engine: str, database_url: str | None, args: argparse.Namespace) -> None:
    port, bare_port, floor_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="paylink-bench-") as data_dir:
        env, key = prepare(Path(data_dir), database_url)
        app_server = gunicorn("core.web:create_app()", port, env)
        bare_server = gunicorn("bench.webhooks:bare_app()", bare_port, env)
        floor_server = gunicorn(
            "bench.api_create:floor_app()", floor_port, {**env, "BENCH_API_KEY": key}
        )
        rounds = iter(range(1, 10_000))
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

        def measure(server: subprocess.Popen[bytes], base: str, path: str) -> load.Result:
            offset = next(rounds) * 1_000_000
            batch = [
                ("POST", path, headers, invoice_body(offset + n)) for n in range(args.requests)
            ]
            return load.wrk(f"{base}{path}", args.seconds, requests=batch, server=server)

        try:
            results = load.interleaved(
                {
                    f"POST /api/v1/invoices ({engine})": lambda: measure(
                        app_server, f"http://127.0.0.1:{port}", "/api/v1/invoices"
                    ),
                    f"bare Flask POST ({engine})": lambda: measure(
                        bare_server, f"http://127.0.0.1:{bare_port}", "/bare"
                    ),
                    f"floor: key+JSON+INSERT ({engine})": lambda: measure(
                        floor_server, f"http://127.0.0.1:{floor_port}", "/floor"
                    ),
                }
            )
            load.table(
                f"invoice creation, wrk {args.seconds} s x3 interleaved, medians",
                results,
                f"bare Flask POST ({engine})",
                f"floor: key+JSON+INSERT ({engine})",
            )
        finally:
            stop(app_server)
            stop(bare_server)
            stop(floor_server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=12_000, help="prepared per run")
    load.on_both_engines(run, parser.parse_args(), "bench_api_create")


if __name__ == "__main__":
    main()
