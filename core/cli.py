"""The `paylink` command: run, worker, migrate, create-merchant, create-api-key, demo, rotate-keys.

Built on Flask's CLI (click), so every command gets the app the factory makes from the settings.
Errors a person can cause print one line with the reason and exit 1, never a traceback.
"""

from __future__ import annotations

import json
import logging
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from core import cli_statements
from core.cli_errors import reports_errors
from core.clock import Clock, utc_now
from core.connector import build_connectors
from core.errors import PaylinkError
from core.job_metrics import observe_job, serve_worker_metrics
from core.jobs import JobQueue, Worker
from core.links import payment_url
from core.payments.registry import provider_factory
from core.services import (
    accounts,
    demo_data,
    merchant_users,
    message_settings,
    payment_accounts,
)
from core.services.context import ServiceContext
from core.services.daily_figures import schedule_refreshes
from core.services.job_handlers import core_handlers
from core.services.messaging import RECIPIENT, messaging_environment
from core.services.payouts import schedule_payout_syncs
from core.services.recurring import issue_due_invoices
from core.services.reminder_schedule import sweep_due_reminders
from core.services.retention import purge_old_store_data
from core.services.store_sync import schedule_polls
from core.settings import Settings
from core.storage.migrate import pending_revisions, upgrade
from core.storage.models import Merchant
from core.web import create_app, provider_environment
from core.web.console.logos import logo_directory
from core.web.current import services
from core.web.current import settings as current_settings

Command = TypeVar("Command", bound=Callable[..., Any])


def app_factory(clock: Clock = utc_now) -> Flask:
    """The app every command runs in; tests hand it their clock through click's `obj`
    (a `ScriptInfo`), so that no command's outcome depends on the time it is run at."""
    try:
        settings = Settings.from_env()
    except PaylinkError as error:
        raise click.ClickException(error.message) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # WeasyPrint tells each of its seven steps per document at INFO: noise in a worker's log.
    level = logging.getLevelNamesMapping()[settings.log_level]
    logging.getLogger("weasyprint.progress").setLevel(max(logging.WARNING, level))
    try:
        return create_app(settings, clock=clock)
    except PaylinkError as error:
        raise click.ClickException(error.message) from None


main = FlaskGroup(
    name="paylink",
    help="Paylink: payment links by SMS and email, with reminders and reconciliation.",
    create_app=app_factory,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
main.add_command(cli_statements.import_statement)
main.add_command(cli_statements.save_csv_profile)


#: How often a worker lets go of old webhook bodies and finished carts.
PURGE_SECONDS = 6 * 3600.0
#: How often providers are asked for their payouts (they pay out daily at most).
PAYOUT_SYNC_SECONDS = 3600
#: How often the dashboard's daily figures are brought up to date.
FIGURES_SECONDS = 600
#: How often recurring schedules are checked for a period that has come (a day's periods go
#: out within minutes of midnight in the merchant's time zone).
RECURRING_SECONDS = 300


def make_worker(ctx: ServiceContext, settings: Settings) -> Worker:
    """A worker with every job handler, sweeping due reminders every few seconds and
    scheduling the polls of the stores whose platform can lose webhooks."""
    queue = JobQueue(ctx.db, ctx.clock, settings.job_lease_seconds)
    connectors = build_connectors(settings)
    handlers = core_handlers(
        ctx,
        provider_environment(settings),
        messaging_environment(settings),
        connectors,
        logo_directory(settings.data_dir),
    )
    sweep = (float(settings.reminder_sweep_seconds), lambda: sweep_due_reminders(ctx))
    every = settings.store_poll_seconds
    polls = (float(every), lambda: schedule_polls(ctx, connectors, every))
    purge = (PURGE_SECONDS, lambda: purge_old_store_data(ctx))
    payout_syncs = (
        float(PAYOUT_SYNC_SECONDS),
        lambda: schedule_payout_syncs(ctx, PAYOUT_SYNC_SECONDS),
    )
    figures = (
        float(FIGURES_SECONDS),
        lambda: schedule_refreshes(ctx, FIGURES_SECONDS),
    )
    recurring = (float(RECURRING_SECONDS), lambda: issue_due_invoices(ctx))
    return Worker(
        queue,
        handlers,
        periodic=[sweep, polls, purge, payout_syncs, figures, recurring],
        observe=observe_job,
    )


@main.command()
@with_appcontext
@reports_errors
def migrate() -> None:
    """Create or upgrade the database schema."""
    _migrate(services())
    click.echo("database schema is up to date")


def _migrate(ctx: ServiceContext) -> None:
    """The schema, then what only code holding the keys can move (settings an older version
    kept inside stores' encrypted credentials)."""
    upgrade(ctx.db.engine)
    moved = accounts.move_settings_out_of_credentials(ctx)
    if moved:
        click.echo(f"moved the settings of {moved} stores out of their credentials")


@main.command()
@click.option("--burst", is_flag=True, help="Exit when no job is due instead of waiting.")
@with_appcontext
@reports_errors
def worker(burst: bool) -> None:
    """Run jobs (messages, store updates, deadlines) until SIGTERM."""
    pending = pending_revisions(services().db.engine)
    if pending:
        raise click.ClickException(
            f"the database schema is behind ({len(pending)} migrations): run `paylink migrate`"
        )
    settings = current_settings()
    job_worker = make_worker(services(), settings)
    if settings.worker_metrics_port:
        serve_worker_metrics(settings.worker_metrics_port)
    job_worker.install_signal_handlers()
    click.echo("worker started; SIGTERM finishes the current job and stops")
    job_worker.run(until_idle=burst)


@main.command("create-merchant")
@click.option("--name", required=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option(
    "--country", default="FR", show_default=True, help="ISO 3166 code; default phone region"
)
@click.option("--locale", "default_locale", default="fr", show_default=True)
@click.option("--timezone", default="Europe/Paris", show_default=True)
@click.option("--brand-color", default="#1f6feb", show_default=True)
@with_appcontext
@reports_errors
def create_merchant(**profile: Any) -> None:
    """Add a merchant."""
    merchant = accounts.create_merchant(services(), accounts.MerchantProfile(**profile))
    click.echo(f"merchant {merchant.id} created: {merchant.name}")


@main.command("create-api-key")
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--name", default="default", show_default=True)
@with_appcontext
@reports_errors
def create_api_key(merchant_id: int, name: str) -> None:
    """Create an API key; it is shown this once only."""
    _, key = accounts.create_api_key(services(), merchant_id, name)
    click.echo(key)


@main.command()
@click.option("--merchant", "merchant_id", type=int, required=True)
@with_appcontext
@reports_errors
def demo(merchant_id: int) -> None:
    """Add sample invoices in every status, to look around."""
    invoices = demo_data.create_demo_invoices(services(), merchant_id)
    base_url = current_settings().base_url
    for invoice in invoices:
        link = payment_url(base_url, invoice.link_code)
        click.echo(f"{invoice.number}  {invoice.status.value:<15} {link}")


@main.command("payment-account")
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--provider", required=True, help="sandbox, stripe, ...")
@click.option(
    "--credentials",
    default="{}",
    show_default=True,
    help='JSON, e.g. {"secret_key": "sk_test_...", "webhook_secrets": ["whsec_..."]}',
)
@click.option("--disable", is_flag=True, help="Keep the account but stop offering it.")
@with_appcontext
@reports_errors
def payment_account(merchant_id: int, provider: str, credentials: str, disable: bool) -> None:
    """Add or update a merchant's payment provider account (credentials stored encrypted)."""
    try:
        parsed = json.loads(credentials)
    except ValueError:
        raise click.BadParameter("--credentials must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("--credentials must be a JSON object")
    account = payment_accounts.configure_payment_account(
        services(),
        provider_environment(current_settings()),
        merchant_id,
        provider,
        parsed,
        enabled=not disable,
    )
    click.echo(f"{provider} account {account.id} {'disabled' if disable else 'enabled'}")
    if provider_factory(provider).receives_webhooks:
        click.echo(
            f"webhook endpoint: {current_settings().base_url}/webhooks/{provider}/{account.id}"
        )


def password_input(command: Command) -> Command:
    """`--password`, or `--password-stdin` to read it from a pipe (scripts, secret stores),
    or else asked for twice at the terminal."""
    command = click.option(
        "--password-stdin", is_flag=True, help="Read the password from standard input."
    )(command)
    return click.option("--password", help="Asked for (twice) when not given.")(command)


def _password(password: str | None, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is not None:
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.command("create-user")
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--locale", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@password_input
@with_appcontext
@reports_errors
def create_user(
    merchant_id: int,
    email: str,
    name: str,
    locale: str,
    password: str | None,
    password_stdin: bool,
) -> None:
    """Add someone who signs in to the console for this merchant."""
    user = merchant_users.create_user(
        services(), merchant_id, email, name, _password(password, password_stdin), locale
    )
    click.echo(
        f"user {user.id} ({user.email}) can sign in at {current_settings().base_url}/console"
    )


@main.command("set-password")
@click.option("--email", required=True)
@password_input
@with_appcontext
@reports_errors
def set_password(email: str, password: str | None, password_stdin: bool) -> None:
    """Give a console user a new password; every session they had ends."""
    user = merchant_users.user_by_email(services(), email)
    merchant_users.change_password(services(), user.id, _password(password, password_stdin))
    click.echo(f"password changed for {user.email}; their sessions are ended")


@main.command()
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--invoice", "invoice_id", type=int, help="Only this invoice's messages.")
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
@with_appcontext
@reports_errors
def messages(merchant_id: int, invoice_id: int | None, limit: int) -> None:
    """Show the latest messages (the outbox of a first run: what customers would receive)."""
    ctx = services()
    log = message_settings.message_log(ctx, merchant_id, invoice_id, limit)
    if not log:
        click.echo("no messages yet")
    for message in reversed(log):
        recipient = ctx.keyring.decrypt(message.recipient_ciphertext, RECIPIENT)
        sms = f", {message.segments} segment(s) {message.encoding}" if message.segments else ""
        click.echo(
            f"#{message.id} {message.created_at:%Y-%m-%d %H:%M} {message.channel} to {recipient}"
            f" [{message.status} via {message.provider}{sms}] step {message.step}"
        )
        if message.subject:
            click.echo(f"  Subject: {message.subject}")
        click.echo("  " + message.body.replace("\n", "\n  "))


@main.command("rotate-keys")
@with_appcontext
@reports_errors
def rotate_keys() -> None:
    """Re-encrypt all secrets under the newest key of PAYLINK_ENCRYPTION_KEYS."""
    counts = accounts.rotate_keys(services())
    click.echo(
        f"re-encrypted {counts['stores']} store credentials; "
        f"re-indexed {counts['invoices']} invoices"
    )


@main.command()
@with_appcontext
@reports_errors
def run() -> None:
    """Serve Paylink with an in-process worker (migrates first; a demo merchant on first start)."""
    import waitress

    ctx, settings = services(), current_settings()
    _migrate(ctx)
    if settings.environment != "production":  # no demo merchant on a real instance
        _first_start(ctx, settings)
    job_worker = make_worker(ctx, settings)
    thread = threading.Thread(target=job_worker.run, name="paylink-worker", daemon=True)
    thread.start()
    server = waitress.create_server(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        host=settings.host,
        port=settings.port,
        threads=8,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Paylink is running at {settings.base_url}  (Ctrl+C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        job_worker.stop()
        thread.join(timeout=30)
        server.close()


def _interrupt(*_signal_args: object) -> None:
    """SIGTERM stops `run` like Ctrl+C: the worker finishes its job, the server closes."""
    raise KeyboardInterrupt


#: The demo merchant's console user, created on the first start with a one-time password.
DEMO_EMAIL = "demo@paylink.example"  # RFC 2606: a name that is nobody's


def _first_start(ctx: ServiceContext, settings: Settings) -> None:
    with ctx.db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Merchant)):
            return
    merchant = accounts.create_merchant(ctx, accounts.MerchantProfile(name="Boutique Démo"))
    _, key = accounts.create_api_key(ctx, merchant.id, "first run")
    payment_accounts.configure_payment_account(
        ctx, provider_environment(settings), merchant.id, "sandbox", {}
    )
    demo_data.create_demo_invoices(ctx, merchant.id)
    password = secrets.token_urlsafe(12)
    merchant_users.create_user(ctx, merchant.id, DEMO_EMAIL, "Démo", password)
    click.echo(
        f"First start: created demo merchant {merchant.id} with sample invoices, "
        "payable with the sandbox provider."
    )
    click.echo(f"Console: {settings.base_url}/console  sign in as {DEMO_EMAIL}")
    click.echo(f"  with the password (shown once): {password}")
    click.echo(f"Your API key (shown once): {key}")
    click.echo(f"Try: curl -H 'Authorization: Bearer {key}' {settings.base_url}/api/v1/invoices")


if __name__ == "__main__":
    main()
