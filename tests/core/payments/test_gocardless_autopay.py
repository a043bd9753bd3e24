"""A subscription paid by GoCardless Direct Debit, against a local server speaking its wire
format: the mandate set up with the first payment, each period a payment against it (pending
for days), a retried creation answered 409 with what it made, and a debit that fails days later
handing the period back to its link."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from werkzeug import Request, Response

from core.money import Money
from core.payments.gocardless import mapping
from core.payments.provider import ChargeRequest, CheckoutRequest, EventKind, PaymentMethod
from core.services import autopay, invoicing, recurring
from core.services.invoice_queries import invoice_timeline
from core.services.payment_accounts import provider_for
from core.storage.models import Checkout, Message
from tests.core.payments.test_gocardless import SECRETS, enable
from tests.core.services.test_recurring import invoices_of, request
from tests.support.providers import json_answer

MANDATE, BANK_ACCOUNT, PAYMENT = "MD000A1B2C3D4E", "BA0004RZX3K8TM", "PM00C7N2P5X8QR"


def payment(status: str, amount: int = 1990) -> dict:
    return {
        "payments": {
            "id": PAYMENT,
            "created_at": "2026-04-02T08:00:01.120Z",
            "charge_date": "2026-04-07",
            "amount": amount,
            "description": "Boutique Lune F-2026-000002",
            "currency": "EUR",
            "status": status,
            "amount_refunded": 0,
            "metadata": {"invoice_id": "2", "invoice_number": "F-2026-000002"},
            "links": {"mandate": MANDATE, "creditor": "CR000060FW4JS6"},
            "retry_if_possible": True,
            "scheme": "sepa_core",
        }
    }


def checkout_request(save: bool) -> CheckoutRequest:
    return CheckoutRequest(
        1,
        "F-2026-000001",
        Money(1990, "EUR"),
        PaymentMethod.BANK_PAY,
        "Boutique Lune F-2026-000001",
        "marie@example.fr",
        "fr",
        "https://pay.example/i/Ab3dE5fG7h12/return",
        "https://pay.example/i/Ab3dE5fG7h12",
        "paylink-checkout-1-abcd",
        save_method=save,
    )


def test_the_billing_request_asks_for_a_mandate_only_with_consent():
    assert "mandate_request" not in mapping.billing_request(checkout_request(save=False))
    saving = mapping.billing_request(checkout_request(save=True))
    assert saving["mandate_request"] == {"currency": "EUR"}
    assert saving["payment_request"]["amount"] == 1990


@pytest.fixture
def provider(ctx, fake, shop):
    return provider_for(ctx, fake, enable(ctx, fake, shop))


def test_the_saved_mandate_is_named_by_the_account_it_debits(provider, httpserver):
    httpserver.expect_request("/billing_requests/BRQ0005QZ8T4X3B").respond_with_json(
        {
            "billing_requests": {
                "id": "BRQ0005QZ8T4X3B",
                "status": "fulfilled",
                "links": {
                    "mandate_request": "MRQ000123",
                    "mandate_request_mandate": MANDATE,
                    "payment_request_payment": "PM00BV4Z6Q1KJW",
                },
            }
        }
    )
    httpserver.expect_request(f"/mandates/{MANDATE}").respond_with_json(
        {
            "mandates": {
                "id": MANDATE,
                "status": "pending_submission",
                "scheme": "sepa_core",
                "links": {"customer_bank_account": BANK_ACCOUNT, "customer": "CU00169Z7TS3RF"},
            }
        }
    )
    httpserver.expect_request(f"/customer_bank_accounts/{BANK_ACCOUNT}").respond_with_json(
        {
            "customer_bank_accounts": {
                "id": BANK_ACCOUNT,
                "account_number_ending": "11",
                "bank_name": "BNP PARIBAS",
                "currency": "EUR",
                "enabled": True,
            }
        }
    )
    saved = provider.saved_method("BRQ0005QZ8T4X3B")
    assert (saved.reference, saved.label) == (MANDATE, "BNP PARIBAS •• 11")


def test_a_billing_request_without_a_mandate_saves_nothing(provider, httpserver):
    httpserver.expect_request("/billing_requests/BRQ1").respond_with_json(
        {"billing_requests": {"id": "BRQ1", "status": "fulfilled", "links": {}}}
    )
    assert provider.saved_method("BRQ1") is None


def charge() -> ChargeRequest:
    return ChargeRequest(
        2, "F-2026-000002", Money(1990, "EUR"), "Boutique Lune F-2026-000002", MANDATE, "key-2"
    )


def test_a_charge_is_a_payment_against_the_mandate_pending_until_collected(provider, httpserver):
    seen = {}

    def handler(req: Request) -> Response:
        seen["body"], seen["key"] = json.loads(req.get_data()), req.headers["Idempotency-Key"]
        return json_answer(payment("pending_submission"), 201)

    httpserver.expect_oneshot_request("/payments", method="POST").respond_with_handler(handler)
    event = provider.charge_saved(charge())
    assert seen["key"] == "key-2"
    assert seen["body"] == {
        "payments": {
            "amount": 1990,
            "currency": "EUR",
            "description": "Boutique Lune F-2026-000002",
            "links": {"mandate": MANDATE},
            "metadata": {"invoice_id": "2", "invoice_number": "F-2026-000002"},
        }
    }
    assert (event.kind, event.payment_reference, event.checkout_reference) == (
        EventKind.PENDING,
        PAYMENT,
        PAYMENT,
    )


def test_a_retried_creation_reads_the_payment_the_first_one_made(provider, httpserver):
    conflict = {
        "error": {
            "message": "A resource has already been created with this idempotency key",
            "documentation_url": "https://developer.gocardless.com/api-reference#idempotent_creation_conflict",
            "type": "invalid_state",
            "code": 409,
            "errors": [
                {
                    "reason": "idempotent_creation_conflict",
                    "message": "A resource has already been created with this idempotency key",
                    "links": {"conflicting_resource_id": PAYMENT},
                }
            ],
        }
    }
    httpserver.expect_oneshot_request("/payments", method="POST").respond_with_response(
        json_answer(conflict, 409)
    )
    httpserver.expect_oneshot_request(f"/payments/{PAYMENT}").respond_with_json(
        payment("submitted")
    )
    event = provider.charge_saved(charge())
    assert (event.kind, event.payment_reference) == (EventKind.PENDING, PAYMENT)


def test_a_debit_that_fails_days_later_hands_the_period_to_its_link(
    client, ctx, fake, shop, clock, run_jobs, httpserver
):
    account = enable(ctx, fake, shop)
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    [first] = invoices_of(ctx, shop)
    with ctx.db.transaction() as session:  # the first payment's checkout, its mandate kept
        checkout = Checkout(
            invoice_id=first.id,
            account_id=account.id,
            provider="gocardless",
            provider_reference="BRQ0005QZ8T4X3B",
            method="bank_pay",
            amount=1990,
            currency="EUR",
            save_method=True,
            created_at=clock(),
        )
        session.add(checkout)
    bank = {"bank_name": "BNP PARIBAS", "account_number_ending": "11"}
    autopay.keep_method(ctx, checkout, account, mapping.saved_mandate({"id": MANDATE}, bank))
    clock.advance(days=31)
    httpserver.expect_oneshot_request("/payments", method="POST").respond_with_response(
        json_answer(payment("pending_submission"), 201)
    )
    recurring.issue_due_invoices(ctx)
    run_jobs()
    second = invoices_of(ctx, shop)[1]
    assert invoicing.load_invoice_by_id(ctx, shop.id, second.id).autopay == "pending"
    clock.advance(days=5)  # the debit comes back unpaid
    httpserver.expect_request(f"/payments/{PAYMENT}").respond_with_json(payment("failed"))
    body = json.dumps(
        {
            "events": [
                {
                    "id": "EV0F41LED0001",
                    "created_at": "2026-04-07T06:10:00.000Z",
                    "resource_type": "payments",
                    "action": "failed",
                    "links": {"payment": PAYMENT, "mandate": MANDATE},
                    "details": {
                        "origin": "bank",
                        "cause": "insufficient_funds",
                        "scheme": "sepa_core",
                        "reason_code": "AM04",
                        "description": "The customer's account had insufficient funds.",
                    },
                    "metadata": {},
                }
            ],
            "meta": {"webhook_id": "WB0F41LED0001"},
        }
    ).encode()
    signature = hmac.new(SECRETS[1].encode(), body, hashlib.sha256).hexdigest()
    delivered = client.post(
        f"/webhooks/gocardless/{account.id}",
        data=body,
        headers={"Webhook-Signature": signature, "Content-Type": "application/json"},
    )
    assert delivered.status_code == 200
    run_jobs()
    failed = invoicing.load_invoice_by_id(ctx, shop.id, second.id)
    assert (failed.status.value, failed.autopay) == ("open", "failed")
    with ctx.db.reading() as session:
        kinds = [m.kind for m in session.query(Message).filter(Message.invoice_id == second.id)]
    assert kinds == ["charge_failed"]
    assert [e.kind for e in invoice_timeline(ctx, shop.id, second.id)].count("autopay_failed") == 1
    # The mandate stays: the next period is tried again (a new consent would replace it).
    assert recurring.schedule_of(ctx, shop.id, schedule.id).autopay_label == "BNP PARIBAS •• 11"
