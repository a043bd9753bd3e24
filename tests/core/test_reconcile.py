"""Matching rules without a database: references found however they were typed, splits, and
suggestions that never pass for matches."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import Money
from core.payments.bank_transfer import creditor_reference
from core.reconcile import (
    Allocation,
    CandidateInvoice,
    Direction,
    MatchRule,
    StatementLine,
    allocate,
    match_line,
    reference_key,
    references_of,
    suggestions_for,
)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def credit(remittance: str = "", *structured: str, amount: int = 94_20, payer: str | None = None):
    return StatementLine(
        key="k",
        amount=eur(amount),
        direction=Direction.CREDIT,
        booking_date=date(2026, 11, 30),
        structured_references=structured,
        remittance=remittance,
        debtor_name=payer,
    )


def invoice(number: str, due: int = 94_20, name: str = "Claire Martin", invoice_id: int = 1):
    return CandidateInvoice(invoice_id, number, name, eur(due), date(2026, 11, 20))


@pytest.mark.parametrize(
    "typed",
    [
        "F-2026-000123",
        "facture f2026000123 merci",
        "FACT F 2026 000123",
        "F/2026/123",
        "F2O26-OOO123",
        "Facture 2026-000123",  # no prefix: the merchant's is tried
        "VIR RF86 F202 6000 123 CLAIRE",
        "RF86F2026000123MERCI",  # glued to the next word
    ],
)
def test_an_invoice_number_is_found_however_it_was_typed(typed):
    assert creditor_reference("F-2026-000123") == "RF86F2026000123"
    assert reference_key("F-2026-000123") in references_of(credit(typed), ["F"]).textual


def test_a_structured_reference_that_names_nothing_makes_the_line_unsure():
    line = credit("F-2026-000123", "RF71F2026000005")
    found = {reference_key("F-2026-000123"): invoice("F-2026-000123")}
    assert match_line(line, references_of(line, ["F"]), found) is None


def test_noise_in_the_text_does_not_spoil_a_number_it_names():
    line = credit("CLIENT AB 2026 77 FACTURE F-2026-000123")
    found = {reference_key("F-2026-000123"): invoice("F-2026-000123")}
    match = match_line(line, references_of(line, ["F"]), found)
    assert match is not None and match.rule == MatchRule.INVOICE_NUMBER
    assert match.allocations == (Allocation(1, eur(94_20)),)


def test_a_debit_or_a_reversal_is_never_a_payment():
    for line in (
        StatementLine("k", eur(10_00), Direction.DEBIT, None, remittance="F-2026-000123"),
        StatementLine(
            "k", eur(10_00), Direction.CREDIT, None, reversal=True, remittance="F-2026-000123"
        ),
    ):
        found = {reference_key("F-2026-000123"): invoice("F-2026-000123")}
        assert match_line(line, references_of(line), found) is None


@given(
    amount=st.integers(1, 10_000_00),
    dues=st.lists(st.integers(1, 5_000_00), min_size=1, max_size=5),
)
def test_a_split_never_loses_or_invents_a_cent(amount, dues):
    invoices = [invoice(f"F-2026-{n:06d}", due, invoice_id=n) for n, due in enumerate(dues, 1)]
    shares = allocate(eur(amount), invoices)
    assert sum(share.amount.minor for share in shares) == amount
    assert all(share.amount.minor > 0 for share in shares)
    for share, owed in zip(shares[:-1], invoices, strict=False):
        assert share.amount <= owed.amount_due


def test_suggestions_weigh_the_amount_and_the_name_and_never_match():
    line = credit("cadeau", amount=50_00, payer="BERNARD LUCIE")
    same_amount_same_name = invoice("F-1", 50_00, "Lucie Bernard", 1)
    same_amount_other_name = invoice("F-2", 50_00, "Jean Dupont", 2)
    other_amount = invoice("F-3", 51_00, "Paul Durand", 3)
    ranked = suggestions_for(line, [other_amount, same_amount_other_name, same_amount_same_name])
    assert [s.invoice_id for s in ranked] == [1, 2]
    assert ranked[0].reasons == ("amount", "name", "date") and ranked[0].score == 100
    assert match_line(line, references_of(line), {}) is None
