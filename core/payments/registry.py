"""Providers are found through the `paylink.payment_providers` entry points, so a third-party
provider package plugs in the same way as the built-in ones; nothing registers on import."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from core.errors import ValidationError
from core.payments.provider import ProviderEnvironment, ProviderFactory

ENTRY_POINT_GROUP = "paylink.payment_providers"


@lru_cache(maxsize=1)
def provider_factories() -> dict[str, ProviderFactory]:
    return {entry.name: entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)}


def provider_factory(name: str) -> ProviderFactory:
    factories = provider_factories()
    if name not in factories:
        known = ", ".join(sorted(factories)) or "none"
        raise ValidationError(f"unknown payment provider {name!r} (installed: {known})")
    return factories[name]


def allowed_checkout_origins(name: str, environment: ProviderEnvironment) -> frozenset[str]:
    """Where a provider's checkout may send a customer: its own sites, and the one origin the
    operator named for it (`PAYLINK_<PROVIDER>_CHECKOUT_ORIGIN`), if any."""
    extra = environment.extra_checkout_origins.get(name)
    origins = provider_factory(name).checkout_origins(environment)
    return origins | {extra} if extra else origins
