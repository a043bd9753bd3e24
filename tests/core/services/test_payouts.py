"""Stripe payouts against a local server speaking Stripe's wire format: each invoice's timeline
reads paid, paid out (with the fee), on the bank statement, whichever of the payout and the
statement arrives first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.events import PaymentReceived
from core.money import Money
from core.services.invoice_queries import invoice_timeline
from core.services.payment_accounts import configure_payment_account
from core.services.payments import record_payment
from core.services.payouts import JOB_SYNC_PAYOUTS, schedule_payout_syncs, sync_payouts
from core.storage.bank_models import BankLineState, ProviderPayout
from tests.core.services.test_reconciliation import lines
from tests.support.bank import IBAN, imported, invoice_of, merchant_with_account
from tests.support.factories import provider_env
from tests.support.providers import fixture, jobs_of

PAYOUT_CREDIT = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>S1</MsgId><CreDtTm>2026-12-02T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S-2026-12-02</Id><Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">114.20</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-12-02</Dt></BookgDt><AcctSvcrRef>PAYOUT-1</AcctSvcrRef>
<NtryDtls><TxDtls><Amt Ccy="EUR">114.20</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>STRIPE TECHNOLOGY EUROPE LTD</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>STRIPE TRC2611300042</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()


@pytest.fixture
def shop(ctx, clock, httpserver):
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    shop = merchant_with_account(ctx)
    env = provider_env(ctx, stripe=httpserver.url_for("").rstrip("/"))
    account = configure_payment_account(
        ctx, env, shop.id, "stripe", {"secret_key": "sk_test_123", "webhook_secrets": ["whsec"]}
    )
    httpserver.expect_request("/v1/payouts").respond_with_data(
        fixture("stripe", "payouts_list.json"), content_type="application/json"
    )
    httpserver.expect_request("/v1/balance_transactions").respond_with_data(
        fixture("stripe", "payout_balance_transactions.json"), content_type="application/json"
    )
    shop.env, shop.stripe_account = env, account.id
    return shop


@pytest.fixture
def paid_by_card(ctx, shop, clock):
    invoice = invoice_of(ctx, shop.id, "75.50", "Claire Martin")
    record_payment(
        ctx,
        PaymentReceived(
            "stripe", "pi_3QeLune0001", invoice.id, Money(7550, "EUR"), clock(), "card"
        ),
    )
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    return invoice


def kinds(ctx, shop, invoice):
    return [event.kind for event in invoice_timeline(ctx, shop.id, invoice.id)]


def test_a_payout_then_its_statement_line(ctx, shop, paid_by_card):
    assert sync_payouts(ctx, shop.env, shop.stripe_account) == 1
    paid_out = invoice_timeline(ctx, shop.id, paid_by_card.id)[-1]
    assert (paid_out.kind, paid_out.data["fee"], paid_out.data["arrival"]) == (
        "paid_out",
        130,
        "2026-12-01",
    )
    summary = imported(ctx, shop.id, PAYOUT_CREDIT)
    assert (summary.payouts, summary.unmatched) == (1, 0)
    assert [line.state for line in lines(ctx, shop.id)] == [BankLineState.PAYOUT]
    assert kinds(ctx, shop, paid_by_card)[-3:] == [
        "payment_received",
        "paid_out",
        "payout_on_statement",
    ]
    assert sync_payouts(ctx, shop.env, shop.stripe_account) == 1  # read again: nothing twice
    assert kinds(ctx, shop, paid_by_card).count("paid_out") == 1


def test_a_statement_line_waiting_for_its_payout(ctx, shop, paid_by_card):
    summary = imported(ctx, shop.id, PAYOUT_CREDIT)
    assert (summary.payouts, summary.unmatched) == (0, 1)
    sync_payouts(ctx, shop.env, shop.stripe_account)
    assert [line.state for line in lines(ctx, shop.id)] == [BankLineState.PAYOUT]
    assert kinds(ctx, shop, paid_by_card)[-1] == "payout_on_statement"
    with ctx.db.reading() as session:
        payout = session.query(ProviderPayout).one()
        assert (payout.fees, payout.bank_line_id is not None) == (230, True)


def test_a_credit_of_the_same_amount_from_someone_else_is_not_a_payout(ctx, shop, paid_by_card):
    sync_payouts(ctx, shop.env, shop.stripe_account)
    other = PAYOUT_CREDIT.replace(b"STRIPE TECHNOLOGY EUROPE LTD", b"DUPONT JEAN").replace(
        b"STRIPE TRC2611300042", b"REMBOURSEMENT"
    )
    assert imported(ctx, shop.id, other).unmatched == 1


def test_syncs_are_scheduled_once_per_interval_for_accounts_that_pay_out(ctx, shop):
    assert schedule_payout_syncs(ctx, 3600) == 1
    assert schedule_payout_syncs(ctx, 3600) == 1
    assert len(jobs_of(ctx, JOB_SYNC_PAYOUTS)) == 1
