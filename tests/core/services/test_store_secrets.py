"""A store's secrets as its connector is handed them: decrypted only when read, once, and
never shown in a repr (a traceback or a log line)."""

from core.services.accounts import connect_store
from core.services.store_events import known_store
from core.services.store_secrets import store_ref
from tests.support.factories import merchant


def test_secrets_are_decrypted_when_first_read_and_once(ctx, monkeypatch):
    shop = merchant(ctx)
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    opened = []
    decrypt = ctx.keyring.decrypt
    monkeypatch.setattr(
        type(ctx.keyring),
        "decrypt",
        lambda k, text, purpose: opened.append(purpose) or decrypt(text, purpose),
    )
    ref = store_ref(ctx, known_store(ctx, "shopify", "lune.myshopify.com"))
    assert opened == []  # a delivery verified with the app's secret never opens them
    assert ref.credentials["access_token"] == "shpat_x"
    assert dict(ref.credentials) == {"access_token": "shpat_x"} and len(ref.credentials) == 1
    assert opened == ["stores.credentials"]
    assert "shpat_x" not in repr(ref) and "shpat_x" not in repr(ref.credentials)


def test_a_store_without_secrets_has_none(ctx):
    shop = merchant(ctx)
    connect_store(ctx, shop.id, "magento", "magento.example", {})
    ref = store_ref(ctx, known_store(ctx, "magento", "magento.example"))
    assert dict(ref.credentials) == {} and ref.credentials.get("access_token") is None
