import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.encryption import Keyring, generate_key
from core.errors import NotFound, Unauthorized, ValidationError
from core.services import accounts, invoice_creation, invoicing
from core.services.api_keys import ApiKeys
from core.services.context import ServiceContext
from core.services.invoice_queries import InvoiceFilter, list_invoices
from core.services.store_secrets import store_credentials
from core.storage.models import ApiKey, Store
from tests.support.factories import merchant, order


def test_api_keys_are_shown_once_stored_hashed_and_checked(ctx):
    shop = merchant(ctx)
    key, clear = accounts.create_api_key(ctx, shop.id, "shop back-office")
    assert clear.startswith(f"pl_{key.public_id}_")
    with ctx.db.transaction() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert clear.split("_", 2)[2] not in stored.secret_hash
    assert ApiKeys(ctx.db).authenticate(ctx, clear).id == shop.id
    for wrong in ("", "pl_", clear[:-1] + "x", clear.replace("pl_", "sk_"), f"pl_{'0' * 12}_abc"):
        with pytest.raises(Unauthorized):
            ApiKeys(ctx.db).authenticate(ctx, wrong)


def test_a_revoked_key_stops_working(ctx, clock):
    shop = merchant(ctx)
    key, clear = accounts.create_api_key(ctx, shop.id, "old")
    with ctx.db.transaction() as session:
        session.get(ApiKey, key.id).revoked_at = clock()
    with pytest.raises(Unauthorized):
        ApiKeys(ctx.db).authenticate(ctx, clear)


def test_merchant_profiles_are_validated(ctx):
    for bad in (
        {"name": " "},
        {"name": "A", "currency": "EURO"},
        {"name": "A", "timezone": "Mars/Base"},
        {"name": "A", "brand_color": "red"},
        {"name": "A", "default_locale": "xx_YY_ZZ"},
        {"name": "A", "country": "FRA"},
    ):
        with pytest.raises(ValidationError):
            accounts.create_merchant(ctx, accounts.MerchantProfile(**bad))
    with pytest.raises(NotFound):
        accounts.create_api_key(ctx, 404, "x")


def test_store_credentials_are_encrypted_and_a_domain_belongs_to_one_merchant(ctx):
    one, two = merchant(ctx, "One"), merchant(ctx, "Two")
    store = accounts.connect_store(
        ctx, one.id, "shopify", "lune.myshopify.com", {"token": "shpat_abc"}
    )
    assert "shpat_abc" not in store.credentials_ciphertext
    assert store_credentials(ctx, store) == {"token": "shpat_abc"}  # secrets only
    assert store.connected_at == ctx.clock()
    with pytest.raises(ValidationError, match="another merchant"):
        accounts.connect_store(ctx, two.id, "shopify", "lune.myshopify.com", {"token": "x"})


def test_connecting_a_store_again_replaces_its_secrets_and_keeps_the_merchant_s_choices(ctx, clock):
    shop = merchant(ctx)
    store = accounts.connect_store(ctx, shop.id, "woocommerce", "lune.example", {"key": "old"})
    accounts.set_invoice_gateways(ctx, shop.id, store.id, ["bacs", "cod"])
    accounts.record_poll(ctx, store.id, clock())
    clock.advance(days=1)
    again = accounts.connect_store(ctx, shop.id, "woocommerce", "lune.example", {"key": "new"})
    assert again.id == store.id and store_credentials(ctx, again) == {"key": "new"}
    assert again.invoice_gateways == ["bacs", "cod"]
    assert again.polled_until == clock() - timedelta(days=1)
    assert (again.connected_at, again.webhooks_ready) == (clock(), False)


def test_settings_an_older_version_kept_in_the_credentials_move_to_their_columns(ctx):
    shop = merchant(ctx)
    legacy = {
        "key": "secret",
        "connected_at": "2026-03-01T08:00:00+00:00",
        "invoice_gateways": ["cheque"],
        "polled_until": "2026-03-02T09:00:00+00:00",
        "webhooks_ready": True,
    }
    store = accounts.connect_store(ctx, shop.id, "woocommerce", "lune.example", legacy)
    assert accounts.move_settings_out_of_credentials(ctx) == 1
    assert accounts.move_settings_out_of_credentials(ctx) == 0  # idempotent
    (moved,) = accounts.merchant_stores(ctx, shop.id)
    assert moved.id == store.id and store_credentials(ctx, moved) == {"key": "secret"}
    assert moved.invoice_gateways == ["cheque"] and moved.webhooks_ready
    assert moved.polled_until == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_rotate_keys_reencrypts_everything_under_the_newest_key(ctx, database, clock):
    shop = merchant(ctx)
    accounts.connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"token": "shpat_abc"})
    created, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    invoice = invoicing.load_invoice_by_id(ctx, shop.id, created.id)
    old_spec = f"test1:{generate_key()}"
    # write the store token and the contact details again, under an old key
    old = ServiceContext(database, Keyring.parse(old_spec), clock)
    accounts.connect_store(old, shop.id, "shopify", "lune.myshopify.com", {"token": "shpat_abc"})
    invoicing.set_customer(invoice, invoicing.customer_of(invoice, ctx), old)
    with database.transaction() as session:
        session.merge(invoice)
    new = ServiceContext(database, Keyring.parse(f"k2:{generate_key()},{old_spec}"), clock)
    assert accounts.rotate_keys(new) == {"stores": 1, "carts": 0, "invoices": 1}
    with database.transaction() as session:
        store = session.scalars(select(Store)).one()
        assert store.credentials_ciphertext.startswith("k2:")
        assert json.loads(new.keyring.decrypt(store.credentials_ciphertext, "stores.credentials"))
    found = list_invoices(new, shop.id, InvoiceFilter(customer_email="marie@example.fr"))
    assert [i.id for i in found.invoices] == [invoice.id]
    assert invoicing.customer_of(found.invoices[0], new).phone == "+33612345678"
    assert accounts.rotate_keys(new)["stores"] == 0  # nothing left under old keys


def test_a_self_installed_store_and_its_merchant_are_made_once(ctx):
    """Two first opens of a new shop: the store's unique constraint keeps one; the loser's
    merchant is rolled back with it and both get the same store."""
    from core.merchant_profile import MerchantProfile
    from core.services.accounts import create_merchant_with_store
    from core.storage.models import Merchant

    profile = MerchantProfile(name="Boutique Soleil")
    first = create_merchant_with_store(ctx, profile, "shopify", "soleil.myshopify.com", {"t": 1})
    second = create_merchant_with_store(ctx, profile, "shopify", "soleil.myshopify.com", {"t": 2})
    assert first.id == second.id
    with ctx.db.transaction() as session:
        assert len(list(session.scalars(select(Merchant)))) == 1
    assert store_credentials(ctx, second)["t"] == 1
