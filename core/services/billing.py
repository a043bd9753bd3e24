"""The merchant's billing rules applied to a new invoice: its facts read from the request, the
rules' decision, and the invoice's settings that follow (payment terms, early-payment
discount, payment methods, channel, reminders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.billing_rules import (
    CustomerType,
    Decision,
    InvoiceFacts,
    Rule,
    Setting,
    check_rules,
    decide,
    rule_from_json,
    rule_to_json,
)
from core.errors import NotFound
from core.events import InvoiceRequested
from core.money import Money
from core.services.context import ServiceContext
from core.storage.models import Merchant

#: How long an early-payment discount a rule grants lasts when the rule does not say.
DEFAULT_EARLY_HOURS = 24


def rules_of(merchant: Merchant) -> list[Rule]:
    return [rule_from_json(data) for data in merchant.billing_rules or []]


def set_rules(ctx: ServiceContext, merchant_id: int, rules: list[Rule]) -> list[Rule]:
    check_rules(rules)
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.billing_rules = [rule_to_json(rule) for rule in rules] or None
    return rules


def facts_of(request: InvoiceRequested, merchant: Merchant) -> InvoiceFacts:
    buyer = request.buyer
    return InvoiceFacts(
        customer_type=CustomerType.BUSINESS if buyer else CustomerType.CONSUMER,
        store_id=request.store_id,
        skus=frozenset(line.sku for line in request.content.lines if line.sku),
        country=buyer.country if buyer else merchant.country,
        currency=request.content.currency,
        total=request.content.totals().total.minor,
        tags=frozenset(tag.strip().casefold() for tag in request.customer.tags if tag.strip()),
    )


@dataclass(frozen=True, slots=True)
class InvoiceSettings:
    """What a new invoice gets from the request and, where it says nothing, from the rules."""

    due_at: datetime
    early_discount: Money | None
    early_discount_until: datetime | None
    methods: list[str] | None
    channel: str | None
    reminders: bool  # False: no reminder after the first message (a rule's choice)
    decision: Decision


def invoice_settings(
    merchant: Merchant, request: InvoiceRequested, now: datetime
) -> InvoiceSettings:
    decision = decide(rules_of(merchant), facts_of(request, merchant))
    terms = decision.get(Setting.PAYMENT_TERMS_DAYS)
    due_at = request.due_at or now + timedelta(
        days=terms if terms is not None else merchant.payment_terms_days
    )
    early, until = request.early_discount, request.early_discount_until
    percent = decision.get(Setting.EARLY_DISCOUNT_PERCENT)
    total = request.content.totals().total
    if early is None and percent and total.minor * percent // 100 > 0:
        early = Money(total.minor * percent // 100, total.currency)
        hours = decision.get(Setting.EARLY_DISCOUNT_HOURS) or DEFAULT_EARLY_HOURS
        until = min(now + timedelta(hours=hours), due_at)
    methods = decision.get(Setting.METHODS)
    return InvoiceSettings(
        due_at=due_at,
        early_discount=early,
        early_discount_until=until,
        methods=list(methods) if methods else None,
        channel=decision.get(Setting.CHANNEL),
        reminders=decision.get(Setting.REMINDERS) is not False,
        decision=decision,
    )
