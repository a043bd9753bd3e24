"""Builders for the values tests need, with realistic defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from core.billing_rules import Conditions, CustomerType, Effects, Rule
from core.business_buyer import business_buyer
from core.events import CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine
from core.merchant_profile import MerchantProfile
from core.money import Money
from core.payments.provider import ProviderEnvironment
from core.services.accounts import create_merchant
from core.services.context import ServiceContext
from core.storage.models import Merchant


def eur(amount: str) -> Money:
    return Money.parse(amount, "EUR")


def content(*prices: str, shipping: str = "4.90", currency: str = "EUR") -> InvoiceContent:
    lines = tuple(
        InvoiceLine(f"Article {n}", 1, Money.parse(price, currency), Money.zero(currency))
        for n, price in enumerate(prices or ("70.60",), start=1)
    )
    return InvoiceContent(currency, lines, Money.parse(shipping, currency), Money.zero(currency))


def order(
    external_id: str = "1001", store_id: int | None = None, **changes: object
) -> InvoiceRequested:
    values: dict[str, object] = {
        "source_kind": SourceKind.ORDER if store_id else SourceKind.API,
        "external_id": external_id,
        "content": content(),
        "customer": CustomerDetails("Marie Curie", "marie@example.fr", "06 12 34 56 78", "fr"),
        "store_id": store_id,
    }
    values.update(changes)
    return InvoiceRequested(**values)  # type: ignore[arg-type]


def merchant(ctx: ServiceContext, name: str = "Boutique Lune") -> Merchant:
    return create_merchant(ctx, MerchantProfile(name=name))


def unsaved_merchant(name: str) -> Merchant:
    """A merchant's row with every required column, for tests that write it themselves."""
    return Merchant(
        name=name,
        currency="EUR",
        country="FR",
        default_locale="fr",
        timezone="Europe/Paris",
        brand_color="#1f6feb",
        invoice_prefix="F",
        payment_terms_days=7,
        last_invoice_sequence=0,
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


def provider_env(
    ctx: ServiceContext, base_url: str = "https://pay.example", **api_bases: str
) -> ProviderEnvironment:
    return ProviderEnvironment(base_url=base_url, secret_key="test-secret", api_base_urls=api_bases)


#: A merchant's billing rules: businesses pay by transfer in 30 days, big baskets earn an
#: early-payment discount, a product line goes by SMS, everyone else has 10 days.
BILLING_RULES = [
    Rule(
        "Pros à 30 jours par virement",
        Conditions(customer_type=CustomerType.BUSINESS),
        Effects(payment_terms_days=30, methods=("bank_transfer",)),
    ),
    Rule("Gros paniers", Conditions(min_total=10_000), Effects(early_discount_percent=3)),
    Rule("Abonnements box", Conditions(sku_prefix="BOX"), Effects(channel="sms")),
    Rule("Tout le monde", Conditions(), Effects(payment_terms_days=10)),
]
#: A business customer (a valid SIREN).
ACME = business_buyer("ACME SAS", "732829320")
