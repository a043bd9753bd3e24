"""Billing rules: what a merchant decides per kind of invoice (business or consumer customers,
a store, products, a country, a currency, an amount range), evaluated in order for each new
invoice, the first matching rule winning each setting on its own. Pure: the rules and the
invoice's facts in, the settings and the rule behind each out, with the reasons a rule
matched or not (the console shows them for a sample invoice).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from core.errors import ValidationError

MAX_RULES = 50


class CustomerType(enum.StrEnum):
    BUSINESS = "business"  # given with a company's SIREN or VAT number
    CONSUMER = "consumer"


class Setting(enum.StrEnum):
    """What a rule may decide."""

    PAYMENT_TERMS_DAYS = "payment_terms_days"
    METHODS = "methods"  # the payment methods offered (instalments among them)
    EARLY_DISCOUNT_PERCENT = "early_discount_percent"
    EARLY_DISCOUNT_HOURS = "early_discount_hours"
    CHANNEL = "channel"  # sms or email for messages that would pick one
    REMINDERS = "reminders"  # False: the invoice's first message only, no reminder after it


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What rules look at, read from a new invoice."""

    customer_type: CustomerType
    store_id: int | None
    skus: frozenset[str]
    country: str | None
    currency: str
    total: int  # minor units
    tags: frozenset[str] = frozenset()  # the customer's, case-folded


@dataclass(frozen=True, slots=True)
class Conditions:
    """All given conditions must hold; none given matches every invoice."""

    customer_type: CustomerType | None = None
    customer_tag: str | None = None  # the store tags the customer so (case does not matter)
    store_id: int | None = None
    sku_prefix: str | None = None  # some line's SKU starts with it
    country: str | None = None
    currency: str | None = None
    min_total: int | None = None  # minor units, included
    max_total: int | None = None  # minor units, included

    def given(self) -> list[tuple[str, Any]]:
        """The conditions set, as (name, value), in field order (the console words them)."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)
                is not None and getattr(self, f.name) != ""]  # fmt: skip

    def reasons(self, facts: InvoiceFacts) -> list[tuple[str, Any, bool]]:
        """Each given condition, as (name, value), and whether the invoice meets it."""
        tests = {
            "customer_type": lambda v: facts.customer_type == v,
            "customer_tag": lambda v: v.strip().casefold() in facts.tags,
            "store_id": lambda v: facts.store_id == v,
            "sku_prefix": lambda v: any(sku.startswith(v) for sku in facts.skus),
            "country": lambda v: facts.country == v,
            "currency": lambda v: facts.currency == v,
            "min_total": lambda v: facts.total >= v,
            "max_total": lambda v: facts.total <= v,
        }
        return [(name, value, tests[name](value)) for name, value in self.given()]

    def match(self, facts: InvoiceFacts) -> bool:
        return all(met for _, _, met in self.reasons(facts))


@dataclass(frozen=True, slots=True)
class Effects:
    """The settings a rule decides; None leaves a setting to the next rules."""

    payment_terms_days: int | None = None
    methods: tuple[str, ...] | None = None
    early_discount_percent: int | None = None
    early_discount_hours: int | None = None
    channel: str | None = None
    reminders: bool | None = None

    def __post_init__(self) -> None:
        if self.payment_terms_days is not None and not 0 <= self.payment_terms_days <= 365:
            raise ValidationError("payment terms are 0 to 365 days", key="rule_terms")
        if self.early_discount_percent is not None and not 1 <= self.early_discount_percent <= 50:
            raise ValidationError("an early-payment discount is 1 to 50 %", key="rule_discount")
        if self.early_discount_hours is not None and not 1 <= self.early_discount_hours <= 720:
            raise ValidationError("an early-payment window is 1 to 720 hours", key="rule_window")
        if self.channel is not None and self.channel not in ("sms", "email"):
            raise ValidationError("a channel is sms or email", key="rule_channel")
        if self.methods is not None and not self.methods:
            raise ValidationError("offer at least one payment method", key="rule_methods")

    def decided(self) -> dict[Setting, Any]:
        return {
            Setting(f.name): getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not None
        }


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    conditions: Conditions = field(default_factory=Conditions)
    effects: Effects = field(default_factory=Effects)


@dataclass(frozen=True, slots=True)
class Decision:
    """Each decided setting's value and the rule it came from."""

    values: dict[Setting, Any]
    by_rule: dict[Setting, str]

    def get(self, setting: Setting) -> Any:
        return self.values.get(setting)

    @property
    def rules(self) -> list[str]:
        """The rules that decided something, in rule order (for the timeline)."""
        return list(dict.fromkeys(self.by_rule.values()))


def decide(rules: Sequence[Rule], facts: InvoiceFacts) -> Decision:
    """Rules in order, the first matching rule winning each setting."""
    values: dict[Setting, Any] = {}
    by_rule: dict[Setting, str] = {}
    for rule in rules:
        if not rule.conditions.match(facts):
            continue
        for setting, value in rule.effects.decided().items():
            if setting not in values:
                values[setting], by_rule[setting] = value, rule.name
    return Decision(values, by_rule)


def check_rules(rules: Sequence[Rule]) -> None:
    if len(rules) > MAX_RULES:
        raise ValidationError(f"at most {MAX_RULES} rules", key="rule_count")
    names = [rule.name for rule in rules]
    if any(not name.strip() or len(name) > 80 for name in names):
        raise ValidationError("a rule is named in 1 to 80 characters", key="rule_name")
    if len(set(names)) != len(names):
        raise ValidationError("rule names are unique", key="rule_names")


def rule_to_json(rule: Rule) -> dict[str, Any]:
    def present(obj: Any) -> dict[str, Any]:
        out = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if value is not None:
                out[f.name] = (
                    list(value)
                    if isinstance(value, tuple)
                    else str(value)
                    if isinstance(value, enum.Enum)
                    else value
                )
        return out

    return {"name": rule.name, "when": present(rule.conditions), "then": present(rule.effects)}


def rule_from_json(data: dict[str, Any]) -> Rule:
    """A rule as the API and the console send it, checked (a ValidationError says what)."""
    try:
        when = dict(data.get("when") or {})
        then = dict(data.get("then") or {})
        if when.get("customer_type") is not None:
            when["customer_type"] = CustomerType(when["customer_type"])
        if then.get("methods") is not None:
            then["methods"] = tuple(str(method) for method in then["methods"])
        return Rule(str(data["name"]), Conditions(**when), Effects(**then))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ValidationError):
            raise
        raise ValidationError(
            f"a rule is {{name, when, then}}: {error}", key="rule_shape"
        ) from None
