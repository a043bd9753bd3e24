"""One contract for every installed provider: what the core relies on, checked alike."""

import inspect
from urllib.parse import urlsplit

import pytest

from core.errors import ValidationError
from core.payments.provider import PaymentMethod, PaymentProvider, ProviderEnvironment
from core.payments.registry import provider_factories, provider_factory

ENV = ProviderEnvironment("https://pay.example", "secret", {})
FACTORIES = sorted(provider_factories().items())


def test_the_built_in_providers_are_installed():
    assert {name for name, _ in FACTORIES} >= {
        "sandbox",
        "stripe",
        "paypal",
        "gocardless",
        "payplug",
        "bank_transfer",
    }


@pytest.mark.parametrize(("entry_name", "factory"), FACTORIES)
def test_capabilities_are_data_readable_without_credentials(entry_name, factory):
    assert factory.name == entry_name
    assert factory.methods and all(isinstance(m, PaymentMethod) for m in factory.methods)
    assert isinstance(factory.receives_webhooks, bool)
    assert isinstance(factory.settles_on_return, bool)
    assert all(isinstance(h, str) for h in factory.kept_headers)
    keys = [field.key for field in factory.credential_fields]
    assert len(keys) == len(set(keys))
    for origin in factory.checkout_origins(ENV):
        parts = urlsplit(origin)
        assert parts.scheme == "https" and parts.netloc and not parts.path, origin


@pytest.mark.parametrize(("entry_name", "factory"), FACTORIES)
def test_unusable_credentials_are_refused_with_a_reason(entry_name, factory):
    completed = factory.complete_credentials({"account_id": 1})
    assert completed["account_id"] == 1
    try:
        factory(completed, ENV)
    except ValidationError as refusal:
        assert refusal.message
    # Built or refused with a reason: never another exception.


@pytest.mark.parametrize(("entry_name", "factory"), FACTORIES)
def test_every_provider_implements_the_protocol(entry_name, factory):
    for method in (
        "create_checkout",
        "event_key",
        "parse_events",
        "settle_checkout",
        "check_connection",
    ):
        ours = inspect.signature(getattr(factory, method))
        expected = inspect.signature(getattr(PaymentProvider, method))
        assert list(ours.parameters) == list(expected.parameters), (entry_name, method)


def test_an_unknown_provider_names_the_installed_ones():
    with pytest.raises(ValidationError, match="installed: bank_transfer"):
        provider_factory("mollie")
