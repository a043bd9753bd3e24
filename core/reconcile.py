"""Bank reconciliation as pure rules: what a statement line says, which invoices it names, and
how sure that is.

A line is matched in a fixed order, stopping at the first sure answer: the structured creditor
reference (the ISO 11649 "RF" reference Paylink prints on every transfer page), then invoice
numbers or RF references found in the free remittance text (banks and payers mangle them: spaces,
case, dropped hyphens, O for 0). Anything else is at most a *suggestion* (amount, payer name and
date), which a person confirms: a sure match pays an invoice at once, a guess never does.

No I/O: the service hands in the invoices a line's references resolve to, and stores what comes
out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, utils
from stdnum import iso11649

from core.money import Money

#: How many suggestions the exceptions queue shows for one line.
SUGGESTIONS_SHOWN = 3
#: A suggested invoice was sent at most this long before the money arrived.
SUGGESTION_WINDOW_DAYS = 120


class Direction(enum.StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


@dataclass(frozen=True, slots=True)
class StatementHeader:
    """One statement (or notification) of one account: the unit of import and of dedupe."""

    format: str  # "camt.053.001.08", "camt.054.001.02", "csv:credit-mutuel"
    statement_id: str
    account_iban: str | None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked movement, at the finest level the bank gives (a `TxDtls` of a batch).

    `key` identifies it within its account whatever file it comes in (the bank's own reference
    when there is one, a fingerprint of its content otherwise), so overlapping statements add
    nothing twice. The amount is positive; `direction` says which way the money went, and
    `reversal` marks a bank's correction of an earlier line."""

    key: str
    amount: Money
    direction: Direction
    booking_date: date | None
    value_date: date | None = None
    reversal: bool = False
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    structured_references: tuple[str, ...] = ()
    remittance: str = ""
    debtor_name: str | None = None
    debtor_iban: str | None = None

    @property
    def is_credit(self) -> bool:
        return self.direction == Direction.CREDIT and not self.reversal


# References ------------------------------------------------------------------------------------

REFERENCE_KEY_MAX = 21  # an RF reference carries at most 21 characters of the invoice number
NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]")
#: An RF reference as printed or typed, spaces allowed between its groups.
_RF_IN_TEXT = re.compile(r"(?<![0-9A-Z])R\s?F\s?(\d\s?\d(?:\s?[0-9A-Z]){1,21})", re.IGNORECASE)
#: An invoice number such as F-2026-000123, typed "f 2026 123", "F2026/000123", "F2O26-OOO123".
_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Z])([A-Z]{1,12})[\s\-_/.:#]*((?:19|2[0O])[0-9OIL]{2})[\s\-_/.:#]*([0-9OIL]{1,7})"
    r"(?![0-9])",
    re.IGNORECASE,
)
_DIGIT_LOOKALIKES = str.maketrans("OoIlL", "00111")


def reference_key(invoice_number: str) -> str:
    """What of an invoice number survives a bank: its letters and digits, upper case, at most
    the 21 characters an RF reference can carry (the same tail `creditor_reference` uses)."""
    return NOT_ALPHANUMERIC.sub("", invoice_number).upper()[-REFERENCE_KEY_MAX:]


def rf_body(candidate: str) -> str | None:
    """The invoice part of a valid RF reference ("RF86 F202 6000 123" -> "F2026000123")."""
    compact = re.sub(r"\s", "", candidate).upper()
    if compact.startswith("RF") and iso11649.is_valid(compact):
        return compact[4:]
    return None


def _rf_bodies_in(text: str) -> list[str]:
    """Valid RF references in free text. Banks glue words together, so the longest run that
    passes the mod-97 check wins over its own prefixes."""
    found = []
    for match in _RF_IN_TEXT.finditer(text):
        compact = re.sub(r"\s", "", match.group(1)).upper()
        for end in range(len(compact), 2, -1):
            body = rf_body("RF" + compact[:end])
            if body is not None:
                found.append(body)
                break
    return found


def _numbers_in(text: str, prefixes: Iterable[str]) -> list[str]:
    """Invoice-number keys in free text: as typed, and with the merchant's prefixes in case the
    payer wrote only "2026-000123" after some word ("Facture 2026 123")."""
    keys = []
    for letters, year, sequence in _NUMBER_IN_TEXT.findall(text):
        year = year.translate(_DIGIT_LOOKALIKES)
        sequence = sequence.translate(_DIGIT_LOOKALIKES).zfill(6)
        keys.append(reference_key(f"{letters}{year}{sequence}"))
        keys.extend(reference_key(f"{prefix}{year}{sequence}") for prefix in prefixes)
    return keys


@dataclass(frozen=True, slots=True)
class LineReferences:
    """The keys a line names, in matching order. `structured` keys are the payer's declared
    reference: one that names no invoice makes the line unsure, where a number-like word in the
    free text that names nothing is just noise."""

    structured: tuple[str, ...]
    textual: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.structured, *self.textual)))


def references_of(line: StatementLine, prefixes: Iterable[str] = ()) -> LineReferences:
    structured = []
    for reference in line.structured_references:
        body = rf_body(reference)
        structured.append(body if body is not None else reference_key(reference))
    prefixes = tuple(prefixes)
    textual = [*_rf_bodies_in(line.remittance), *_numbers_in(line.remittance, prefixes)]
    return LineReferences(
        tuple(dict.fromkeys(key for key in structured if key)),
        tuple(dict.fromkeys(key for key in textual if key)),
    )


# Matching --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateInvoice:
    """What matching needs to know of an invoice (the service reads it from storage)."""

    id: int
    number: str
    customer_name: str
    amount_due: Money
    sent_on: date | None = None


class MatchRule(enum.StrEnum):
    CREDITOR_REFERENCE = "creditor_reference"
    INVOICE_NUMBER = "invoice_number"
    BY_HAND = "by_hand"


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    amount: Money


@dataclass(frozen=True, slots=True)
class SureMatch:
    rule: MatchRule
    allocations: tuple[Allocation, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    invoice_id: int
    score: int  # 0-100
    reasons: tuple[str, ...]  # "amount", "name", "date", "reference"


@dataclass(frozen=True, slots=True)
class Unmatched:
    suggestions: tuple[Suggestion, ...] = field(default=())


def allocate(amount: Money, invoices: Sequence[CandidateInvoice]) -> tuple[Allocation, ...]:
    """Split one transfer over the invoices it names, in the order it names them: each gets
    what it still owes until the money runs out, and an excess stays on the last one (where
    the payment service flags it as an overpayment, money is never dropped)."""
    remaining = amount
    allocations = []
    for position, invoice in enumerate(invoices):
        last = position == len(invoices) - 1
        share = remaining if last else min(remaining, invoice.amount_due)
        if share.minor > 0:
            allocations.append(Allocation(invoice.id, share))
            remaining = remaining - share
    return tuple(allocations)


def match_line(
    line: StatementLine,
    references: LineReferences,
    resolved: Mapping[str, CandidateInvoice],
) -> SureMatch | None:
    """The sure match for a credit, if its references settle it: every structured reference
    names an invoice (or there is none and the text names at least one)."""
    if not line.is_credit:
        return None
    if references.structured and all(key in resolved for key in references.structured):
        invoices = _distinct(resolved[key] for key in references.structured)
        return SureMatch(MatchRule.CREDITOR_REFERENCE, allocate(line.amount, invoices))
    if references.structured:
        return None
    named = [resolved[key] for key in references.textual if key in resolved]
    if named:
        return SureMatch(MatchRule.INVOICE_NUMBER, allocate(line.amount, _distinct(named)))
    return None


def _distinct(invoices: Iterable[CandidateInvoice]) -> list[CandidateInvoice]:
    return list({invoice.id: invoice for invoice in invoices}.values())


def suggestions_for(
    line: StatementLine, open_invoices: Iterable[CandidateInvoice]
) -> tuple[Suggestion, ...]:
    """The invoices a person might pick for an unmatched credit, best first: the same amount
    as what is due weighs most, then how alike the payer's and the customer's names are
    (token order and case ignored), then how recently the invoice was sent."""
    if not line.is_credit:
        return ()
    scored = []
    for invoice in open_invoices:
        if invoice.amount_due.currency != line.amount.currency:
            continue
        reasons = []
        score = 0.0
        if invoice.amount_due == line.amount:
            score += 50
            reasons.append("amount")
        name_score = _name_likeness(line.debtor_name, invoice.customer_name)
        if name_score >= 60:
            score += 35 * name_score / 100
            reasons.append("name")
        if _recently_sent(invoice, line.booking_date):
            score += 15
            reasons.append("date")
        if "amount" in reasons or "name" in reasons:
            scored.append(Suggestion(invoice.id, round(score), tuple(reasons)))
    scored.sort(key=lambda suggestion: (-suggestion.score, suggestion.invoice_id))
    return tuple(scored[:SUGGESTIONS_SHOWN])


def _name_likeness(payer: str | None, customer: str) -> float:
    if not payer or not customer.strip():
        return 0.0
    return float(fuzz.token_set_ratio(payer, customer, processor=utils.default_process))


def _recently_sent(invoice: CandidateInvoice, booked: date | None) -> bool:
    if invoice.sent_on is None or booked is None:
        return False
    return 0 <= (booked - invoice.sent_on).days <= SUGGESTION_WINDOW_DAYS
