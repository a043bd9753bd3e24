"""One contract for every installed store connector (core/connector.py), as the payment
providers have theirs: what the core relies on, checked alike on each platform's own wire
format (tests/connectors/kits.py)."""

import inspect
from dataclasses import replace
from importlib.metadata import entry_points

import pytest
from sqlalchemy import func, select

from core.connector import ENTRY_POINT_GROUP, Connector
from core.events import PaymentReceived
from core.money import Money
from core.services import invoice_creation, payments, store_events
from core.services.invoice_queries import invoice_timeline
from core.services.store_secrets import store_ref
from core.storage.models import StoreEvent
from core.store_changes import Delivery, Ignored, StoreUninstalled, Unusable
from tests.connectors.kits import KITS
from tests.core.web.conftest import app, client, ctx, env, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings

PLATFORMS = sorted(KITS)
#: Bodies no platform sends for a topic it documents: not JSON, or not the topic's shape.
MALFORMED = [b"", b"{not json", b"[1, 2]", b'"text"', b"null", b'{"id": "x"}']


@pytest.fixture
def settings(database_url, tmp_path, httpserver):
    """Every platform's connector built, its API on the test's server (loopback stores)."""
    environ = {name: value for kit in KITS.values() for name, value in kit().environ.items()}
    return replace(
        web_settings.__wrapped__(database_url, tmp_path),
        environ=environ,
        provider_api_bases={"shopify": httpserver.url_for("").rstrip("/")},
        allow_private_stores=True,
    )


@pytest.fixture(params=PLATFORMS)
def kit(request):
    return KITS[request.param]()


@pytest.fixture
def connector(app, kit):  # noqa: F811
    return app.extensions["paylink.connectors"][kit.platform]


@pytest.fixture
def store(ctx, shop, kit, httpserver):  # noqa: F811
    return kit.connect(ctx, shop.id, httpserver.url_for("").rstrip("/"))


@pytest.fixture
def fake(kit, httpserver):
    return kit.fake(httpserver)


def stored_events(ctx):  # noqa: F811
    with ctx.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(StoreEvent))


def test_every_installed_connector_has_a_kit():
    installed = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert installed == set(KITS)


def test_every_connector_implements_the_protocol(connector, kit):
    assert connector.platform == kit.platform
    assert isinstance(connector.polls, bool)
    assert connector.invoice_gateways and all(
        isinstance(g, str) for g in connector.invoice_gateways
    )
    for name, expected in inspect.getmembers(Connector, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = inspect.signature(getattr(connector, name))
        wanted = list(inspect.signature(expected).parameters)[1:]  # without self
        assert list(ours.parameters) == wanted, (kit.platform, name)


def test_a_signed_delivery_is_kept_once_and_a_forged_one_refused(client, ctx, kit, store, clock):  # noqa: F811
    delivery = kit.deliveries()[0]
    body = kit.encode(delivery.payload)
    url, forged = kit.signed(store, delivery.topic, body, "evt-1", clock(), "not-the-secret")
    assert client.post(url, data=body, headers=forged).status_code == 401
    assert stored_events(ctx) == 0
    url, headers = kit.signed(store, delivery.topic, body, "evt-1", clock())
    tampered = body.replace(b"}", b" }", 1)
    assert client.post(url, data=tampered, headers=headers).status_code == 401
    first = client.post(url, data=body, headers=headers)
    assert first.status_code == 200 and first.json["duplicate"] is False
    replayed = client.post(url, data=body, headers=headers)
    assert replayed.status_code == 200 and replayed.json["duplicate"] is True
    assert stored_events(ctx) == 1


def test_every_documented_delivery_maps_deterministically(ctx, kit, connector, store, fake):  # noqa: F811
    ref = store_ref(ctx, store)
    for delivery in kit.deliveries():
        kit.hold(fake, delivery.payload)
        body = kit.encode(delivery.payload).decode()
        read = Delivery(delivery.topic, body, None)
        first = tuple(connector.read_delivery(ref, read))
        assert tuple(type(change) for change in first) == delivery.means, delivery.name
        assert tuple(connector.read_delivery(ref, read)) == first, delivery.name


def test_unknown_topics_are_ignored_and_malformed_bodies_unusable(ctx, kit, connector, store):  # noqa: F811
    """No call reaches the store for these: a fake with no routes would fail the test."""
    ref = store_ref(ctx, store)
    (ignored,) = connector.read_delivery(ref, Delivery(kit.unknown_topic, "{}"))
    assert isinstance(ignored, Ignored) and kit.unknown_topic in ignored.reason
    for topic in kit.read_topics:
        for body in MALFORMED:
            changes = tuple(connector.read_delivery(ref, Delivery(topic, body.decode())))
            assert changes, (topic, body)
            if body in (b"", b"{not json", b"[1, 2]", b'"text"', b"null"):
                assert [type(c) for c in changes] == [Unusable], (topic, body, changes)
                assert topic in changes[0].reason or "order" in changes[0].reason
            else:
                assert not any(isinstance(c, StoreUninstalled) for c in changes)


def test_pushing_a_payment_twice_changes_the_store_once(app, ctx, kit, store, fake):  # noqa: F811
    invoice, _ = invoice_creation.create_invoice(
        ctx, store.merchant_id, kit.order_to_push(fake, store)
    )
    payments.record_payment(
        ctx,
        PaymentReceived(
            "sandbox", "pay_1", invoice.id, Money(invoice.total, invoice.currency), ctx.clock()
        ),
    )
    connectors = app.extensions["paylink.connectors"]
    store_events.push_payment(ctx, connectors, invoice.id)
    once = kit.store_state(fake)
    store_events.push_payment(ctx, connectors, invoice.id)
    assert kit.store_state(fake) == once
    outcomes = [
        event.data["outcome"]
        for event in invoice_timeline(ctx, invoice.merchant_id, invoice.id)
        if event.kind == "store_updated"
    ]
    assert len(outcomes) == 2 and not any("refused" in outcome for outcome in outcomes)
