"""Importing statements: sure matches paid at once, the rest queued, every file whole or not
at all, and nothing counted twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.bank_statements import StatementError
from core.errors import Conflict, NotFound, ValidationError
from core.invoices import InvoiceStatus
from core.money import Money
from core.payments.bank_transfer import creditor_reference
from core.services.bank_exceptions import bank_lines, ignore_line, match_by_hand
from core.services.invoice_queries import invoice_timeline
from core.services.reminder_schedule import JOB_SEND_STEP
from core.storage.bank_models import BankLine, BankLineState, BankStatement
from core.storage.models import Payment
from tests.support.bank import camt, camt053, imported, invoice_of, merchant_with_account
from tests.support.factories import eur, merchant
from tests.support.providers import current, jobs_of
from tests.support.sql_counts import counted_statements


@pytest.fixture
def shop(ctx, clock):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the fixtures are booked a week later
    return merchant_with_account(ctx)


@pytest.fixture
def invoices(ctx, shop):
    """F-2026-000001 ... 000005 and one without a reference in any fixture."""
    return [
        invoice_of(ctx, shop.id, "94.20", "Claire Martin"),
        invoice_of(ctx, shop.id, "120.00", "Paul Durand"),
        invoice_of(ctx, shop.id, "70.00", "Les Ateliers"),
        invoice_of(ctx, shop.id, "40.00", "Atelier Petit"),
        invoice_of(ctx, shop.id, "44.00", "Atelier Petit"),
        invoice_of(ctx, shop.id, "50.00", "Lucie Bernard"),
    ]


def lines(ctx, shop_id):
    with ctx.db.reading() as session:
        return list(
            session.scalars(
                select(BankLine).where(BankLine.merchant_id == shop_id).order_by(BankLine.id)
            )
        )


def test_a_v02_statement_pays_by_reference_and_by_number_and_queues_the_rest(ctx, shop, invoices):
    summary = imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    assert (summary.lines, summary.matched, summary.unmatched, summary.debits) == (5, 3, 1, 1)
    assert summary.collected == {"EUR": 94_20 + 50_00 + 70_00}
    first, second, third, _, sixth = (current(ctx, i) for i in invoices[:3] + invoices[4:])
    assert first.status == InvoiceStatus.PAID  # RF in the structured reference
    assert (second.status, second.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, 50_00)
    assert third.status == InvoiceStatus.PAID  # "RF28 F202 6000 003" typed in the free text
    assert sixth.status == InvoiceStatus.OPEN  # a guess never pays
    queued = [line for line in lines(ctx, shop.id) if line.state == BankLineState.UNMATCHED]
    assert [line.debtor_name for line in queued] == ["Bernard Lucie"]
    best = queued[0].suggestions[0]
    assert best["invoice_id"] == invoices[5].id and set(best["reasons"]) >= {"amount", "name"}
    received = invoice_timeline(ctx, shop.id, invoices[0].id)[-1]
    assert received.kind == "payment_received"
    assert (received.data["provider"], received.data["rule"], received.data["payer"]) == (
        "bank",
        "creditor_reference",
        "MARTIN CLAIRE",
    )


def test_the_same_file_twice_and_an_overlapping_notification_add_nothing(ctx, shop, invoices):
    imported(ctx, shop.id, camt("camt.054.001.04.xml"))
    again = imported(ctx, shop.id, camt("camt.054.001.04.xml"))
    assert (again.already_imported, again.matched) == (1, 0)
    overlapping = imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    assert overlapping.duplicates == 1  # the credit the notification already brought
    assert current(ctx, invoices[0]).amount_paid == 94_20
    with ctx.db.reading() as session:
        assert session.scalar(select(func.count(Payment.id))) == 3


def test_a_transfer_naming_two_invoices_is_split_and_a_reversal_undoes_its_credit(
    ctx, shop, invoices
):
    imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    summary = imported(ctx, shop.id, camt("camt.053.001.08.xml"))
    assert (summary.matched, summary.reversals) == (1, 1)
    fourth, fifth = current(ctx, invoices[3]), current(ctx, invoices[4])
    assert (fourth.status, fifth.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    first = current(ctx, invoices[0])
    assert (first.status, first.amount_paid, first.paid_at) == (InvoiceStatus.OPEN, 0, None)
    states = {line.line_key: line.state for line in lines(ctx, shop.id)}
    assert states["ref:0411307A0001"] == BankLineState.REVERSED
    assert states["ref:0411307B0001"] == BankLineState.REVERSAL
    kinds = [event.kind for event in invoice_timeline(ctx, shop.id, invoices[0].id)]
    assert kinds[-1] == "payment_reversed"


def test_a_statement_for_another_account_is_refused_whole(ctx, shop, invoices):
    other = camt("camt.053.001.02.xml").replace(
        b"<IBAN>FR7630006000011234567890189</IBAN>", b"<IBAN>DE89370400440532013000</IBAN>"
    )
    with pytest.raises(StatementError, match="DE89370400440532013000, not for your account"):
        imported(ctx, shop.id, other)
    assert lines(ctx, shop.id) == []


def test_a_file_cut_short_leaves_nothing_behind(ctx, shop, invoices):
    whole = camt("camt.053.001.02.xml")
    with pytest.raises(StatementError, match="not well-formed"):
        imported(ctx, shop.id, whole[: whole.index(b"<AcctSvcrRef>0411307A0004")])
    assert lines(ctx, shop.id) == []
    assert current(ctx, invoices[0]).status == InvoiceStatus.OPEN
    with ctx.db.reading() as session:
        assert session.scalar(select(func.count(BankStatement.id))) == 0


def test_balances_that_do_not_add_up_refuse_the_statement(ctx, shop, invoices):
    garbled = camt("camt.053.001.02.xml").replace(b"1196.20", b"1196.30")
    with pytest.raises(StatementError, match="is not the closing balance"):
        imported(ctx, shop.id, garbled)


def test_no_bank_account_no_import(ctx):
    shop = merchant(ctx)
    with pytest.raises(ValidationError, match="set up your bank account"):
        imported(ctx, shop.id, camt("camt.053.001.02.xml"))


def test_another_merchants_invoice_is_never_paid_by_my_statement(ctx, shop, invoices):
    other = merchant_with_account(ctx, "Autre Boutique")
    theirs = invoice_of(ctx, other.id, "94.20", "Claire Martin")  # also F-2026-000001
    imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    assert current(ctx, theirs).status == InvoiceStatus.OPEN
    assert current(ctx, invoices[0]).status == InvoiceStatus.PAID


POOL = [  # (bank reference, amount, invoice index)
    ("P1", "30.00", 0),
    ("P2", "64.20", 0),
    ("P3", "120.00", 1),
    ("P4", "10.00", 2),
    ("P5", "10.00", 2),
    ("P6", "5.00", 1),
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    files=st.lists(
        st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=4, unique=True),
        min_size=1,
        max_size=4,
    ),
    order=st.randoms(use_true_random=False),
)
def test_overlapping_statements_in_any_order_give_the_same_payments(ctx, clock, files, order):
    # Each example is a merchant of its own: tenants never see each other's lines or invoices.
    shop = merchant_with_account(ctx, f"Boutique {clock.advance(seconds=1).timestamp()}")
    targets = [invoice_of(ctx, shop.id, total, "Client") for total in ("94.20", "125.00", "20.00")]
    documents = [
        camt053(
            f"S{n}",
            [(POOL[i][0], POOL[i][1], creditor_reference(targets[POOL[i][2]].number)) for i in f],
        )
        for n, f in enumerate(files)
    ]
    order.shuffle(documents)
    for document in documents:
        imported(ctx, shop.id, document)
    imported(ctx, shop.id, documents[0])  # and once more, for good measure
    expected = [0, 0, 0]
    for index in {i for f in files for i in f}:
        expected[POOL[index][2]] += Money.parse(POOL[index][1], "EUR").minor
    assert [current(ctx, target).amount_paid for target in targets] == expected


def queued_line(ctx, shop_id):
    return next(line for line in lines(ctx, shop_id) if line.state == BankLineState.UNMATCHED)


def test_the_queue_shows_suggestions_and_a_person_matches_with_the_audit_kept(ctx, shop, invoices):
    imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    [view] = bank_lines(ctx, shop.id)
    assert (view.payer, view.amount.minor, view.remittance) == (
        "Bernard Lucie",
        50_00,
        "cadeau noel",
    )
    assert view.suggestions[0].number == invoices[5].number
    match_by_hand(ctx, shop.id, view.id, [invoices[5].number], "claire@lune.fr")
    assert current(ctx, invoices[5]).status == InvoiceStatus.PAID
    [decided] = bank_lines(ctx, shop.id, BankLineState.MATCHED)[:1]
    assert (decided.decided_by, decided.invoice_numbers) == (
        "claire@lune.fr",
        (invoices[5].number,),
    )
    with pytest.raises(Conflict, match=r"already decided \(matched\) by claire@lune\.fr"):
        ignore_line(ctx, shop.id, view.id, "paul@lune.fr")


def test_a_split_by_hand_must_add_up_and_names_only_my_invoices(ctx, shop, invoices):
    imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    line = queued_line(ctx, shop.id)
    numbers = [invoices[3].number, invoices[4].number]
    with pytest.raises(ValidationError, match=r"add up to the 50\.00 EUR"):
        match_by_hand(ctx, shop.id, line.id, numbers, "claire", [eur("10.00"), eur("10.00")])
    other = merchant_with_account(ctx, "Autre Boutique")
    theirs = invoice_of(ctx, other.id, "50.00", "Lucie Bernard")
    with pytest.raises(NotFound):
        match_by_hand(ctx, other.id, line.id, [theirs.number], "mallory")
    match_by_hand(ctx, shop.id, line.id, numbers, "claire", [eur("10.00"), eur("40.00")])
    assert current(ctx, invoices[3]).amount_paid == 10_00
    assert current(ctx, invoices[4]).amount_paid == 40_00
    assert current(ctx, theirs).amount_paid == 0


def test_ignoring_takes_a_line_out_of_the_queue_and_pays_nothing(ctx, shop, invoices):
    imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    line = queued_line(ctx, shop.id)
    ignore_line(ctx, shop.id, line.id, "claire")
    assert bank_lines(ctx, shop.id) == []
    assert current(ctx, invoices[5]).amount_paid == 0


def test_invoices_a_statement_pays_in_full_get_their_receipts_queued_together(ctx, shop, invoices):
    with counted_statements(ctx.db.engine) as counted:
        imported(ctx, shop.id, camt("camt.053.001.02.xml"))
    receipts = [job for job in jobs_of(ctx, JOB_SEND_STEP) if job.payload["step"] == "receipt"]
    assert sorted(job.payload["invoice_id"] for job in receipts) == [
        invoices[0].id,
        invoices[2].id,
    ]  # the partly paid one gets none
    assert sum(1 for s in counted.writes if s.startswith("INSERT INTO jobs")) == 1
