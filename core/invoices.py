"""Invoices as pure values: lines and totals, the customer, and the status machine.

No I/O here: storage keeps the fields, services decide when things happen, and every rule about
money, dates and status is tested without a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidTransition, ValidationError
from core.money import Money, currency_code, total

# Lines, totals ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One order line; `tax` is the line's whole tax amount, as platforms report it."""

    label: str
    quantity: int
    unit_price: Money
    tax: Money
    sku: str | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValidationError("a line needs a label")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError("a line quantity must be a whole number")
        if self.quantity <= 0:
            raise ValidationError(f"line {self.label!r}: quantity must be at least 1")
        if self.unit_price.is_negative or self.tax.is_negative:
            raise ValidationError(f"line {self.label!r}: prices and taxes cannot be negative")
        if self.tax.currency != self.unit_price.currency:
            raise ValidationError(f"line {self.label!r}: tax and price in different currencies")

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Money
    tax: Money
    shipping: Money
    discount: Money
    total: Money


@dataclass(frozen=True, slots=True)
class InvoiceContent:
    """What is being paid for. With `taxes_included` the line prices already contain the tax
    (European shops), so the tax is shown but not added again."""

    currency: str
    lines: tuple[InvoiceLine, ...]
    shipping: Money
    discount: Money
    taxes_included: bool = True
    #: Summed once, when made: a creation reads them several times (amounts, checks, answer).
    _totals: Totals = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        code = currency_code(self.currency)
        object.__setattr__(self, "currency", code)
        if not self.lines:
            raise ValidationError("an invoice needs at least one line")
        amounts = [self.shipping, self.discount, *(line.unit_price for line in self.lines)]
        if any(amount.currency != code for amount in amounts):
            raise ValidationError(f"every amount of an invoice in {code} must be in {code}")
        if self.shipping.is_negative or self.discount.is_negative:
            raise ValidationError("shipping and discount are positive amounts")
        subtotal = total([line.amount for line in self.lines], code)
        tax = total([line.tax for line in self.lines], code)
        grand = subtotal + self.shipping - self.discount
        if not self.taxes_included:
            grand = grand + tax
        if grand.is_negative:
            raise ValidationError(
                "the discount is larger than what it discounts", key="discount_too_large"
            )
        object.__setattr__(
            self, "_totals", Totals(subtotal, tax, self.shipping, self.discount, grand)
        )

    def totals(self) -> Totals:
        return self._totals


# Customer --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    """Who pays: the phone is E.164 and the email normalised, or None when not given."""

    name: str
    email: str | None
    phone: str | None
    locale: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


def normalise_phone(raw: str, default_region: str | None) -> str:
    """E.164 form of a phone number written nationally ("06 12 34 56 78" in FR) or
    internationally; `default_region` is the store's country."""
    try:
        number = phonenumbers.parse(raw, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            f"phone {raw!r} is not a phone number: {error}", key="phone", phone=raw
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"phone {raw!r} is not a valid number", key="phone", phone=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Syntax check and normalisation only: no DNS look-up at order time."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValidationError(
            f"email {raw!r} is not valid: {error}", key="email", email=raw
        ) from None


def make_customer(
    name: str,
    email: str | None,
    phone: str | None,
    locale: str,
    default_region: str | None,
) -> Customer:
    """Validate and normalise a customer as a store or API sends it."""
    return Customer(
        name=(name or "").strip(),
        email=normalise_email(email) if email else None,
        phone=normalise_phone(phone, default_region) if phone else None,
        locale=locale,
    )


# Status machine --------------------------------------------------------------------------------


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    EXPIRED = "expired"
    VOID = "void"
    REFUNDED = "refunded"


S = InvoiceStatus


class Autopay(enum.StrEnum):
    """Where a subscription's period paid by the customer's saved method stands (beside its
    status): the charge is running (nothing asks the customer for payment), or it failed and
    the invoice's link took over, with the failed charge's own messages."""

    PENDING = "pending"
    FAILED = "failed"


#: Every allowed change of status. A partial refund leaves a paid invoice paid (goods returned do
#: not make it due again); a payment arriving after expiry is still money received, so an expired
#: invoice can become paid. A transfer the bank takes back (a reversal) makes a paid invoice due
#: again. Void and refunded are final.
TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.DRAFT: frozenset({S.OPEN, S.VOID}),
    S.OPEN: frozenset({S.PARTIALLY_PAID, S.PAID, S.OVERDUE, S.EXPIRED, S.VOID}),
    S.PARTIALLY_PAID: frozenset({S.OPEN, S.PAID, S.OVERDUE, S.REFUNDED}),
    S.OVERDUE: frozenset({S.PAID, S.VOID, S.REFUNDED}),
    S.EXPIRED: frozenset({S.PARTIALLY_PAID, S.PAID}),
    S.PAID: frozenset({S.OPEN, S.PARTIALLY_PAID, S.OVERDUE, S.REFUNDED}),
    S.VOID: frozenset(),
    S.REFUNDED: frozenset(),
}

#: Statuses in which the customer may still pay.
PAYABLE = frozenset({S.OPEN, S.PARTIALLY_PAID, S.OVERDUE})


def check_transition(current: InvoiceStatus, target: InvoiceStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"an invoice cannot go from {current} to {target}")


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """The part of an invoice that events change: status and the running amounts.

    Each method returns the next state or raises InvalidTransition; the caller stores it.
    """

    status: InvoiceStatus
    total: Money
    amount_paid: Money
    amount_refunded: Money
    due_at: datetime | None = None
    expires_at: datetime | None = field(default=None)
    #: Early-payment promotion: paying everything before `early_discount_until` costs this less.
    early_discount: Money | None = None
    early_discount_until: datetime | None = None

    @classmethod
    def new(
        cls,
        total_amount: Money,
        due_at: datetime | None,
        expires_at: datetime | None = None,
        early_discount: Money | None = None,
        early_discount_until: datetime | None = None,
    ) -> InvoiceState:
        zero = Money.zero(total_amount.currency)
        if early_discount is not None:
            if early_discount_until is None:
                raise ValidationError("an early-payment discount needs its deadline")
            if not 0 < early_discount.minor < total_amount.minor:
                raise ValidationError(
                    "an early-payment discount is more than 0, less than the total"
                )
            if due_at is not None and early_discount_until > due_at:
                raise ValidationError("an early-payment deadline cannot be after the due date")
        return cls(
            S.DRAFT,
            total_amount,
            zero,
            zero,
            due_at,
            expires_at,
            early_discount,
            early_discount_until,
        )

    @property
    def amount_due(self) -> Money:
        remaining = self.total - self.amount_paid
        return remaining if not remaining.is_negative else Money.zero(self.total.currency)

    def early_discount_at(self, moment: datetime) -> Money:
        """The promotion still on offer at `moment`: only to pay it all at once, before the
        deadline, on an invoice nobody has started paying."""
        offered = (
            self.early_discount is not None
            and self.early_discount_until is not None
            and moment < self.early_discount_until
            and self.amount_paid.is_zero
            and self.status in PAYABLE
        )
        if offered and self.early_discount is not None:
            return self.early_discount
        return Money.zero(self.total.currency)

    def amount_due_at(self, moment: datetime) -> Money:
        """What settles the invoice when paid in full at `moment`, the promotion included."""
        return self.amount_due - self.early_discount_at(moment)

    @property
    def overpaid(self) -> Money:
        excess = self.amount_paid - self.total
        return excess if excess.minor > 0 else Money.zero(self.total.currency)

    def _to(self, target: InvoiceStatus, **changes: Any) -> InvoiceState:
        """Move to `target`; staying in the same status (a second partial payment) is allowed."""
        if target != self.status:
            check_transition(self.status, target)
        return replace(self, status=target, **changes)

    def open(self) -> InvoiceState:
        """A draft finalised, to be sent and paid. Only a draft: opening an invoice already
        paid or partly paid would ask its customer for money again (the move back to open
        that `TRANSITIONS` allows is a payment's reversal, not this)."""
        if self.status != S.DRAFT:
            raise InvalidTransition(f"only a draft can be opened: this invoice is {self.status}")
        return self._to(S.OPEN)

    def void(self) -> InvoiceState:
        if self.amount_paid.minor > 0:
            raise InvalidTransition("a paid or partly paid invoice cannot be voided: refund it")
        check_transition(self.status, S.VOID)
        return self._to(S.VOID)

    def is_past_due(self, now: datetime) -> bool:
        return self.due_at is not None and now >= self.due_at

    def apply_payment(
        self, amount: Money, now: datetime, paid_at: datetime | None = None
    ) -> InvoiceState:
        """Add a received payment. Money is never refused: a payment on a void invoice is
        recorded by the caller and flagged, but cannot be applied to the status.

        A payment made (`paid_at`, the provider's time) before the early-payment deadline that
        covers the discounted amount earns the discount: the total drops by it, for good."""
        if amount.minor <= 0:
            raise ValidationError("a payment amount must be positive", key="payment_positive")
        if self.status in (S.DRAFT, S.VOID, S.REFUNDED):
            raise InvalidTransition(f"a payment cannot be applied to a {self.status} invoice")
        discount = self.early_discount_at(paid_at or now)
        earned = not discount.is_zero and amount >= self.total - discount
        total = self.total - discount if earned else self.total
        paid = self.amount_paid + amount
        if paid >= total:
            target = S.PAID
        elif self.status == S.OVERDUE or (self.status != S.EXPIRED and self.is_past_due(now)):
            target = S.OVERDUE
        else:
            target = S.PARTIALLY_PAID
        return self._to(target, amount_paid=paid, total=total)

    def apply_refund(self, amount: Money) -> InvoiceState:
        """A refund never exceeds what was paid; refunding all of it ends the invoice."""
        if amount.minor <= 0:
            raise ValidationError("a refund amount must be positive")
        refunded = self.amount_refunded + amount
        if refunded > self.amount_paid:
            raise ValidationError(f"refunding {refunded} exceeds the {self.amount_paid} paid")
        target = S.REFUNDED if refunded == self.amount_paid else self.status
        return self._to(target, amount_refunded=refunded)

    def reverse_payment(self, amount: Money, now: datetime) -> InvoiceState:
        """Take back a payment the bank reversed (a returned transfer): the money never stayed,
        so the invoice owes it again, overdue if its due date has passed. A discount already
        earned stays earned: the customer paid in time, the bank undid it."""
        if amount.minor <= 0:
            raise ValidationError("a reversed amount must be positive")
        if amount > self.amount_paid - self.amount_refunded:
            raise ValidationError(f"reversing {amount} exceeds what is left of the payments")
        paid = self.amount_paid - amount
        if paid >= self.total:
            target = S.PAID
        elif self.is_past_due(now):
            target = S.OVERDUE
        elif paid.is_zero:
            target = S.OPEN
        else:
            target = S.PARTIALLY_PAID
        return self._to(target, amount_paid=paid)

    def mark_overdue(self, now: datetime) -> InvoiceState:
        """Past the due date with money still due: overdue. Anything else is left as it is,
        so the scheduled check can run late or twice without harm."""
        if self.status in (S.OPEN, S.PARTIALLY_PAID) and self.is_past_due(now):
            return self._to(S.OVERDUE)
        return self

    def expire(self, now: datetime) -> InvoiceState:
        """Flash-sale expiry: only an invoice nobody has started paying expires."""
        if self.status == S.OPEN and self.expires_at is not None and now >= self.expires_at:
            return self._to(S.EXPIRED)
        return self


def format_invoice_number(prefix: str, year: int, sequence: int) -> str:
    """Human invoice number, continuous per merchant: F-2026-000123."""
    return f"{prefix}-{year}-{sequence:06d}"
