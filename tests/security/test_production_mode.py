"""The sandbox pays without money: with PAYLINK_ENV=production it cannot be configured, offered,
paid through or called back, unless the operator enables it by name."""

from dataclasses import replace

import pytest

from core.errors import ValidationError
from core.services import invoice_creation
from core.services.payment_accounts import configure_payment_account
from core.settings import Settings
from core.web import create_app
from tests.support.factories import order


@pytest.fixture
def production(settings, clock, database):
    return create_app(
        replace(settings, environment="production", sandbox_enabled=False),
        clock=clock,
        database=database,
    )


def test_production_has_no_sandbox_unless_enabled(tmp_path):
    base = {
        "PAYLINK_DATA_DIR": str(tmp_path),
        "PAYLINK_SECRET_KEY": "s",
        "PAYLINK_ENCRYPTION_KEYS": "k1:" + "A" * 43,
        "PAYLINK_ENV": "production",
    }
    assert Settings.from_env(base).sandbox_enabled is False
    assert Settings.from_env({**base, "PAYLINK_ENABLE_SANDBOX": "1"}).sandbox_enabled is True
    assert Settings.from_env({**base, "PAYLINK_ENV": "development"}).sandbox_enabled is True


def test_the_sandbox_is_neither_configured_offered_nor_served_in_production(
    app, production, ctx, shop, sandbox_account
):
    """An account left from a test run on the same database stays inert."""
    prod_ctx, prod_env = (
        production.extensions["paylink"],
        production.extensions["paylink.providers"],
    )
    with pytest.raises(ValidationError, match="PAYLINK_ENABLE_SANDBOX"):
        configure_payment_account(prod_ctx, prod_env, shop.id, "sandbox", {})
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    client = production.test_client()
    page = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert "sandbox" not in page.lower()
    assert client.get("/sandbox/checkout/anything").status_code == 404
    assert client.post(f"/webhooks/sandbox/{sandbox_account.id}", data=b"{}").status_code == 404
