"""A merchant's payment accounts: which providers, with which credentials (encrypted at rest),
and what the payment page may therefore offer.

Provider settings that shape the offer (the bank details, the instalment terms) live beside the
credentials, so one encrypted document describes an account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from core.errors import NotFound, ValidationError
from core.instalments import InstalmentTerms, instalment_schedule
from core.money import Money
from core.payments.bank_transfer import TransferDetails, transfer_details
from core.payments.provider import (
    CredentialField,
    Instalment,
    PaymentMethod,
    PaymentProvider,
    ProviderEnvironment,
)
from core.payments.registry import provider_factories, provider_factory
from core.services.context import ServiceContext
from core.storage.models import Merchant, PaymentAccount

ACCOUNT_CREDENTIALS = "payment_accounts.credentials"


def configure_payment_account(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    merchant_id: int,
    provider: str,
    credentials: Mapping[str, Any],
    enabled: bool = True,
) -> PaymentAccount:
    """Add or update the merchant's account at `provider`; the credentials are checked by
    building the provider with them, then stored encrypted."""
    _refuse_disabled(env, provider)
    factory = provider_factory(provider)
    with ctx.db.transaction() as session:
        if session.get(Merchant, merchant_id) is None:
            raise NotFound(f"no merchant {merchant_id}")
        account = session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.merchant_id == merchant_id, PaymentAccount.provider == provider
            )
        ).one_or_none()
        if account is None:
            count = session.scalar(
                select(func.count()).where(PaymentAccount.merchant_id == merchant_id)
            )
            account = PaymentAccount(
                merchant_id=merchant_id,
                provider=provider,
                position=count,
                credentials_ciphertext="",
                created_at=ctx.clock(),
            )
            session.add(account)
            session.flush()
        stored = factory.complete_credentials({**credentials, "account_id": account.id})
        factory(stored, env)  # refuses unusable credentials before anything is stored
        if not account.credentials_ciphertext or account_credentials(ctx, account) != stored:
            account.verified_at = None  # new credentials: tested again before being offered
        account.credentials_ciphertext = ctx.keyring.encrypt(
            json.dumps(stored), ACCOUNT_CREDENTIALS
        )
        account.enabled = enabled
        return account


def account_credentials(ctx: ServiceContext, account: PaymentAccount) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        ctx.keyring.decrypt(account.credentials_ciphertext, ACCOUNT_CREDENTIALS)
    )
    return loaded


def provider_for(
    ctx: ServiceContext, env: ProviderEnvironment, account: PaymentAccount
) -> PaymentProvider:
    _refuse_disabled(env, account.provider)
    return provider_factory(account.provider)(account_credentials(ctx, account), env)


def _refuse_disabled(env: ProviderEnvironment, provider: str) -> None:
    if provider in env.disabled_providers:
        raise ValidationError(
            f"the {provider} provider is off on this instance "
            "(PAYLINK_ENV=production: set PAYLINK_ENABLE_SANDBOX=1 to use it)"
        )


def usable_options(env: ProviderEnvironment, options: list[PaymentOption]) -> list[PaymentOption]:
    """The options of providers this instance uses (a sandbox account left from a test run is
    not offered in production)."""
    return [option for option in options if option.provider not in env.disabled_providers]


@dataclass(frozen=True)
class PaymentOption:
    account_id: int
    provider: str
    method: PaymentMethod


def payment_options(ctx: ServiceContext, merchant_id: int) -> list[PaymentOption]:
    """The methods the merchant enabled, in the merchant's order (one per method)."""
    with ctx.db.reading() as session:
        accounts = session.scalars(
            select(PaymentAccount)
            .where(PaymentAccount.merchant_id == merchant_id, PaymentAccount.enabled.is_(True))
            .order_by(PaymentAccount.position, PaymentAccount.id)
        ).all()
    return options_of(accounts)


def options_of(accounts: Sequence[PaymentAccount]) -> list[PaymentOption]:
    """The methods these enabled accounts offer, in their order (the first account offering a
    method takes it)."""
    options: dict[PaymentMethod, PaymentOption] = {}
    for account in accounts:
        for method in sorted(provider_factory(account.provider).methods):
            options.setdefault(method, PaymentOption(account.id, account.provider, method))
    return list(options.values())


def bank_transfer_details(ctx: ServiceContext, merchant_id: int) -> TransferDetails | None:
    """The merchant's bank details when bank transfer is offered, else None."""
    account = _enabled_account(ctx, merchant_id, "bank_transfer")
    return transfer_details(account_credentials(ctx, account)) if account else None


def merchant_bank_account(ctx: ServiceContext, merchant_id: int) -> TransferDetails | None:
    """The bank account the merchant set up for transfers, offered to customers or not: the
    one account its bank statements may be for."""
    account = _enabled_account(ctx, merchant_id, "bank_transfer", offered_only=False)
    return transfer_details(account_credentials(ctx, account)) if account else None


def _enabled_account(
    ctx: ServiceContext, merchant_id: int, provider: str, offered_only: bool = True
) -> PaymentAccount | None:
    query = select(PaymentAccount).where(
        PaymentAccount.merchant_id == merchant_id, PaymentAccount.provider == provider
    )
    if offered_only:
        query = query.where(PaymentAccount.enabled.is_(True))
    with ctx.db.transaction() as session:
        return session.scalars(query).one_or_none()


def instalment_plan(
    ctx: ServiceContext, merchant_id: int, amount_due: Money, today: date
) -> list[Instalment]:
    """The schedule the page offers for paying `amount_due` in instalments: from the account
    that offers them and the terms the merchant set on it, or [] when none applies."""
    option = next(
        (o for o in payment_options(ctx, merchant_id) if o.method == PaymentMethod.INSTALMENTS),
        None,
    )
    account = _enabled_account(ctx, merchant_id, option.provider) if option else None
    if account is None:
        return []
    terms = InstalmentTerms.from_settings(account_credentials(ctx, account))
    return instalment_schedule(amount_due, terms, today) if terms else []


@dataclass(frozen=True)
class AccountView:
    """A provider as the settings page lists it: secrets only by their last characters."""

    provider: str
    methods: tuple[str, ...]
    configured: bool
    enabled: bool
    verified: bool  # its connection test passed with the stored credentials
    fields: tuple[tuple[CredentialField, str], ...]  # (field, value shown)


def _shown(field: CredentialField, value: Any) -> str:
    values = value if isinstance(value, list) else ([value] if value not in (None, "") else [])
    if field.secret:
        return ", ".join("…" + str(v)[-4:] for v in values)
    return "\n".join(str(v) for v in values)


def account_overview(ctx: ServiceContext, merchant_id: int) -> list[AccountView]:
    with ctx.db.transaction() as session:
        accounts = {
            a.provider: a
            for a in session.scalars(
                select(PaymentAccount).where(PaymentAccount.merchant_id == merchant_id)
            )
        }
    views = []
    for name, factory in sorted(provider_factories().items()):
        account = accounts.get(name)
        stored = account_credentials(ctx, account) if account else {}
        views.append(
            AccountView(
                provider=name,
                methods=tuple(sorted(m.value for m in factory.methods)),
                configured=account is not None,
                enabled=bool(account and account.enabled),
                verified=bool(account and account.verified_at),
                fields=tuple((f, _shown(f, stored.get(f.key))) for f in factory.credential_fields),
            )
        )
    return views


def update_account(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    merchant_id: int,
    provider: str,
    submitted: Mapping[str, str],
    enabled: bool,
) -> PaymentAccount:
    """Save what the settings page sent: an empty secret keeps the stored one, a list is one
    value per line; the provider is built with the result before anything is stored. A method
    is offered to customers only once its connection test passed with these credentials: asked
    for before that, it is saved but not offered (the caller tells the merchant)."""
    factory = provider_factory(provider)
    with ctx.db.transaction() as session:
        account = session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.merchant_id == merchant_id, PaymentAccount.provider == provider
            )
        ).one_or_none()
    credentials = account_credentials(ctx, account) if account else {}
    for field in factory.credential_fields:
        raw = submitted.get(field.key, "").strip()
        if not raw:
            if not field.secret:
                credentials.pop(field.key, None)
            continue
        credentials[field.key] = (
            [line.strip() for line in raw.splitlines() if line.strip()] if field.many else raw
        )
    verified = account is not None and account.verified_at is not None
    unchanged = account is not None and credentials == account_credentials(ctx, account)
    offered = enabled and verified and unchanged
    return configure_payment_account(ctx, env, merchant_id, provider, credentials, offered)


def check_connection(
    ctx: ServiceContext, env: ProviderEnvironment, merchant_id: int, provider: str
) -> None:
    with ctx.db.transaction() as session:
        account = session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.merchant_id == merchant_id, PaymentAccount.provider == provider
            )
        ).one_or_none()
    if account is None:
        raise NotFound(f"no {provider} account yet")
    provider_for(ctx, env, account).check_connection()
    with ctx.db.transaction() as session:
        session.execute(
            update(PaymentAccount)
            .where(PaymentAccount.id == account.id)
            .values(verified_at=ctx.clock())
        )
