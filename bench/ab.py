"""A change judged against the code it changes: the working tree and another commit (`--against`,
HEAD by default) each served by its own gunicorn on one database, the same endpoint driven by
wrk against both in turn, interleaved, medians.

On this kind of shared machine the same code's rate drifts by 10-15% between two runs a few
minutes apart, more than most single changes save; a benchmark's ratios to bare and floor
within one run hold, but two runs of it cannot tell a 5% change from noise. Two servers
measured in turn, the same minutes, can: a ratio and the CPU per request of each. The other
commit is checked out in a temporary git worktree and served with this environment's
packages; its schema must be one the database (migrated by this tree's code) still serves,
so compare changes of code, not of migrations.

Run: `python -m bench.ab --endpoint shopify --engine postgresql [--against REF] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from bench import api_create, load, pay_page, webhooks
from bench.jobs import postgres_databases
from bench.pay_page import gunicorn, stop
from tests.support.live_server import free_port

Requests = Callable[[int], list[tuple[str, str, dict[str, str], bytes]]]
#: How many requests wrk cycles through in one run (each delivery or creation must differ).
PREPARED = 12_000


def _deliveries(delivery: webhooks.Delivery, path: str) -> Requests:
    return lambda offset: webhooks.prepared(delivery, path, PREPARED, offset)


def endpoint(
    name: str, data_dir: Path, database_url: str | None
) -> tuple[dict[str, str], str, Requests | None]:
    """The settings' environment, the path measured, and the distinct requests to send (None:
    GETs of the path), for the endpoint `name`, its data made in a fresh database."""
    if name == "api":
        env, key = api_create.prepare(data_dir, database_url)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        path = "/api/v1/invoices"
        return (
            env,
            path,
            lambda offset: [
                ("POST", path, headers, api_create.invoice_body(offset + n))
                for n in range(PREPARED)
            ],
        )
    if name == "page":
        env, code = pay_page.prepare(data_dir, "http://127.0.0.1", database_url)
        return env, f"/i/{code}", None
    env, woo_store, presta_store = webhooks.prepare(data_dir, database_url)
    paths = {
        "shopify": ("/connectors/shopify/webhooks", webhooks.shopify_delivery),
        "woocommerce": (f"/connectors/woocommerce/webhooks/{woo_store}", webhooks.woo_delivery),
        "prestashop": (
            f"/connectors/prestashop/events/{presta_store}",
            webhooks.prestashop_delivery,
        ),
        "magento": ("/connectors/magento/events", webhooks.magento_delivery),
    }
    path, delivery = paths[name]
    return env, path, _deliveries(delivery, path)


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """`ref` checked out in a temporary worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="paylink-ab-") as parent:
        tree = Path(parent) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False)


def compare(args: argparse.Namespace, database_url: str | None) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="paylink-bench-") as data_dir,
        checkout(args.against) as other,
    ):
        env, path, requests = endpoint(args.endpoint, Path(data_dir), database_url)
        ports = {"this tree": free_port(), args.against: free_port()}
        servers = {
            "this tree": gunicorn("core.web:create_app()", ports["this tree"], env),
            args.against: gunicorn("core.web:create_app()", ports[args.against], env, other),
        }
        rounds = iter(range(1, 10_000))

        def measure(name: str) -> load.Result:
            url = f"http://127.0.0.1:{ports[name]}{path}"
            batch = requests(next(rounds) * 1_000_000) if requests else ()
            return load.wrk(url, args.seconds, requests=batch, server=servers[name])

        try:
            results = load.interleaved(
                {name: partial(measure, name) for name in servers}, args.rounds
            )
            load.table(
                f"{args.endpoint} ({args.engine}), wrk {args.seconds} s x{args.rounds} "
                f"interleaved, medians; ratios to {args.against}",
                results,
                args.against,
                versus="other",
            )
        finally:
            for server in servers.values():
                stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--endpoint",
        choices=("shopify", "woocommerce", "prestashop", "magento", "api", "page"),
        required=True,
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--against", default="HEAD", help="a git ref (default: HEAD)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    load.ensure_tools()
    if args.engine == "sqlite":
        compare(args, None)
        return
    with postgres_databases() as make_database:
        compare(args, make_database("bench_ab"))


if __name__ == "__main__":
    main()
