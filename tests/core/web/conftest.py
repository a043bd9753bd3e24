import pytest

from core.services.accounts import create_api_key
from core.settings import Settings
from core.web import create_app
from tests.support.factories import merchant
from tests.support.settled_client import SettledClient


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret",
        encryption_keys="k1:" + "A" * 43,
        base_url="https://pay.example",
        max_request_bytes=64 * 1024,
        api_rate_limit="1000 per minute",
    )


@pytest.fixture
def app(settings, clock, database):
    return create_app(settings, clock=clock, database=database)


@pytest.fixture
def ctx(app):
    return app.extensions["paylink"]


@pytest.fixture
def client(app):
    app.test_client_class = SettledClient
    return app.test_client()


@pytest.fixture
def shop(ctx):
    return merchant(ctx)


@pytest.fixture
def auth(ctx, shop) -> dict[str, str]:
    _, key = create_api_key(ctx, shop.id, "tests")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def env(app):
    return app.extensions["paylink.providers"]


@pytest.fixture
def sandbox_account(ctx, env, shop):
    from core.services.payment_accounts import configure_payment_account

    return configure_payment_account(ctx, env, shop.id, "sandbox", {})


@pytest.fixture
def invoice(ctx, shop, sandbox_account):
    from core.services.invoice_creation import create_invoice
    from tests.support.factories import order

    created, _ = create_invoice(ctx, shop.id, order())
    return created


@pytest.fixture
def run_jobs(app, ctx, clock):
    """Run every due job now, as the worker would, with the app's provider environment."""
    from core.jobs import JobQueue, Worker
    from core.services.job_handlers import core_handlers

    def run() -> None:
        handlers = core_handlers(
            ctx,
            app.extensions["paylink.providers"],
            app.extensions["paylink.messaging"],
            app.extensions["paylink.connectors"],
        )
        Worker(JobQueue(ctx.db, clock), handlers).run(until_idle=True)

    return run
