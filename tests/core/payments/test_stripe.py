"""Stripe against a local HTTP server speaking its wire format, and its events as sent."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from werkzeug import Response

from core.errors import OutsideServiceFailed, ValidationError
from core.money import Money
from core.payments.provider import CheckoutRequest, EventKind, PaymentMethod, ProviderEnvironment
from core.payments.stripe import StripeProvider, mapping

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stripe"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def provider(httpserver) -> StripeProvider:
    env = ProviderEnvironment(
        "https://pay.example", "secret", {"stripe": httpserver.url_for("").rstrip("/")}
    )
    return StripeProvider({"secret_key": "sk_test_123", "webhook_secrets": ["whsec_1"]}, env)


def request(email="marie@example.fr") -> CheckoutRequest:
    return CheckoutRequest(
        42,
        "F-2026-000001",
        Money(7550, "EUR"),
        PaymentMethod.CARD,
        "Boutique Lune F-2026-000001",
        email,
        "fr",
        "https://pay.example/i/Ab3dE5fG7h12/return",
        "https://pay.example/i/Ab3dE5fG7h12",
        "paylink-checkout-42-abcd",
    )


def test_create_checkout_sends_the_exact_form_and_headers(httpserver):
    seen = {}

    def handler(req):
        seen["form"] = dict(parse_qsl(req.get_data(as_text=True)))
        seen["headers"] = req.headers
        return Response(
            fixture("checkout_session_created.json"), 200, content_type="application/json"
        )

    httpserver.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_handler(
        handler
    )
    checkout = provider(httpserver).create_checkout(request())
    assert checkout.redirect_url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert checkout.provider_reference == "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
    form = seen["form"]
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "7550"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == form["metadata[invoice_id]"] == "42"
    assert form["customer_email"] == "marie@example.fr"
    assert form["locale"] == "fr"
    assert "ui_mode" not in form
    headers = seen["headers"]
    assert headers["Authorization"] == "Bearer sk_test_123"
    assert headers["Idempotency-Key"] == "paylink-checkout-42-abcd"
    assert headers["Stripe-Version"] == "2026-10-28.endive"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_stripe_errors_keep_stripe_s_message(httpserver):
    error = {
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_***123",
        }
    }
    httpserver.expect_oneshot_request("/v1/checkout/sessions").respond_with_json(error, status=401)
    with pytest.raises(OutsideServiceFailed, match="Invalid API Key"):
        provider(httpserver).create_checkout(request())


def test_zero_decimal_and_special_currencies():
    assert mapping.to_stripe_amount(Money(1500, "JPY")) == 1500
    assert mapping.to_stripe_amount(Money(1500, "ISK")) == 150000
    assert mapping.from_stripe_amount(150000, "isk") == Money(1500, "ISK")
    assert mapping.to_stripe_amount(Money(1230, "KWD")) == 1230
    with pytest.raises(ValidationError, match="last digit"):
        mapping.to_stripe_amount(Money(1234, "KWD"))


def test_credentials_are_checked():
    env = ProviderEnvironment("https://pay.example", "s", {})
    with pytest.raises(ValidationError, match="sk_"):
        StripeProvider({"secret_key": "pk_live_wrong"}, env)


def test_events_map_through_one_table():
    paid = mapping.parse_event(fixture("checkout_session_completed.json"))[0]
    assert paid.kind == EventKind.PAID
    assert paid.amount == Money(7550, "EUR")
    assert paid.payment_reference == "pi_3SXq2aLkdIwHu7ix0pL5mR2d"
    assert paid.checkout_reference == "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
    assert paid.occurred_at == datetime.fromtimestamp(1772443800, UTC)
    assert (
        mapping.parse_event(fixture("checkout_session_completed_unpaid.json"))[0].kind
        == EventKind.PENDING
    )
    assert (
        mapping.parse_event(fixture("checkout_session_async_payment_succeeded.json"))[0].kind
        == EventKind.PAID
    )
    refund = mapping.parse_event(fixture("refund_updated.json"))[0]
    assert (refund.kind, refund.amount, refund.refund_reference) == (
        EventKind.REFUNDED,
        Money(2000, "EUR"),
        "re_3SXs1eLkdIwHu7ix0Tq9wE2r",
    )


def test_refunds_are_read_from_refund_events_as_the_pinned_api_version_sends_them():
    """Since 2022-11-15 `charge.refunded` carries no refund list (unless expanded): refunds come
    from `refund.created`/`refund.updated`, each once it has succeeded."""
    assert mapping.parse_event(fixture("charge_refunded.json")) == []
    pending = json.loads(fixture("refund_updated.json"))
    pending["type"], pending["data"]["object"]["status"] = "refund.created", "pending"
    assert mapping.parse_event(json.dumps(pending).encode()) == []


def test_unknown_events_are_ignored_never_paid():
    event = json.loads(fixture("checkout_session_completed.json"))
    for kind in ("checkout.session.expired", "payment_intent.created", "invoice.paid"):
        event["type"] = kind
        assert mapping.parse_event(json.dumps(event).encode())[0].kind == EventKind.IGNORED
    event["type"] = "checkout.session.completed"
    event["data"]["object"]["payment_status"] = "no_payment_required"
    assert mapping.parse_event(json.dumps(event).encode())[0].kind == EventKind.IGNORED


def test_payouts_are_read_page_by_page_with_the_payments_they_settled(httpserver):
    second_page = {
        "object": "list",
        "has_more": False,
        "data": [],
    }
    first = json.loads(fixture("payouts_list.json"))
    first["has_more"] = True
    httpserver.expect_oneshot_request(
        "/v1/payouts",
        query_string={"arrival_date[gte]": "1795910400", "limit": "100"},
        headers={"Authorization": "Bearer sk_test_123"},
    ).respond_with_json(first)
    httpserver.expect_oneshot_request(
        "/v1/payouts",
        query_string={
            "arrival_date[gte]": "1795910400",
            "limit": "100",
            "starting_after": "po_1QeLuneA2bC3dE4f",
        },
    ).respond_with_json(second_page)
    httpserver.expect_oneshot_request(
        "/v1/balance_transactions",
        query_string={"payout": "po_1QeLuneA2bC3dE4f", "expand[]": "data.source", "limit": "100"},
    ).respond_with_data(
        fixture("payout_balance_transactions.json"), content_type="application/json"
    )
    [payout] = provider(httpserver).payouts(datetime(2026, 11, 29, tzinfo=UTC).date())
    httpserver.check_assertions()
    assert (payout.payout_id, payout.amount, str(payout.arrival_on)) == (
        "po_1QeLuneA2bC3dE4f",
        Money(11420, "EUR"),
        "2026-12-01",
    )
    assert [(p.provider_payment_id, p.gross.minor, p.fee.minor) for p in payout.payments] == [
        ("pi_3QeLune0001", 7550, 130),
        ("pi_3QeOtherShop9", 4100, 100),
    ]
    assert payout.fees == Money(230, "EUR") and payout.bank_reference == "TRC2611300042"


def intent_event_body(kind: str, metadata: dict, status: str, error: dict | None = None) -> bytes:
    intent = {
        "id": "pi_3SXq9zLkdIwHu7ix1Autopay",
        "object": "payment_intent",
        "amount": 1990,
        "amount_received": 1990 if status == "succeeded" else 0,
        "currency": "eur",
        "status": status,
        "metadata": metadata,
        "last_payment_error": error,
    }
    event = {"id": "evt_pi", "type": kind, "created": 1775116800, "data": {"object": intent}}
    return json.dumps(event).encode()


def test_only_paylink_s_off_session_intents_are_read_from_their_own_events():
    autopay = {"paylink_autopay": "1", "invoice_id": "2"}
    [paid] = mapping.parse_event(
        intent_event_body("payment_intent.succeeded", autopay, "succeeded")
    )
    assert (paid.kind, paid.amount, paid.payment_reference) == (
        EventKind.PAID,
        Money(1990, "EUR"),
        "pi_3SXq9zLkdIwHu7ix1Autopay",
    )
    error = {"type": "card_error", "code": "card_declined", "decline_code": "expired_card"}
    [failed] = mapping.parse_event(
        intent_event_body(
            "payment_intent.payment_failed", autopay, "requires_payment_method", error
        )
    )
    assert (failed.kind, failed.reason, failed.amount) == (EventKind.FAILED, "expired_card", None)
    # A checkout's own PaymentIntent is read through its session's events, never twice.
    [ignored] = mapping.parse_event(
        intent_event_body("payment_intent.payment_failed", {}, "requires_payment_method", error)
    )
    assert ignored.kind == EventKind.IGNORED


def test_a_saved_card_needs_its_customer_and_a_card():
    card = {"id": "pm_1", "type": "card", "card": {"brand": "amex", "last4": "0005"}}
    session = {"customer": "cus_1", "payment_intent": {"id": "pi_1", "payment_method": card}}
    saved = mapping.saved_card(session)
    assert (saved.reference, saved.label) == ("cus_1 pm_1", "American Express •••• 0005")
    assert mapping.saved_card({**session, "customer": None}) is None
    link = {"id": "pm_2", "type": "link", "link": {}}
    assert mapping.saved_card({**session, "payment_intent": {"payment_method": link}}) is None
    assert mapping.saved_card({**session, "payment_intent": "pi_1"}) is None  # not expanded


def test_an_authentication_the_bank_asks_for_is_a_failed_charge(httpserver):
    from core.payments.provider import ChargeRequest

    refusal = {
        "error": {
            "type": "card_error",
            "code": "authentication_required",
            "message": "This payment requires authentication.",
            "payment_intent": {"id": "pi_auth", "status": "requires_payment_method"},
        }
    }
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_response(
        Response(json.dumps(refusal), 402, content_type="application/json")
    )
    event = provider(httpserver).charge_saved(
        ChargeRequest(2, "F-2", Money(1990, "EUR"), "Boutique Lune F-2", "cus_1 pm_1", "k")
    )
    assert (event.kind, event.reason, event.payment_reference) == (
        EventKind.FAILED,
        "authentication_required",
        "pi_auth",
    )
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_response(
        Response(json.dumps({"error": {"type": "invalid_request_error"}}), 400)
    )
    with pytest.raises(OutsideServiceFailed):  # our mistake, not the card's: the job retries
        provider(httpserver).charge_saved(
            ChargeRequest(2, "F-2", Money(1990, "EUR"), "Boutique Lune F-2", "cus_1 pm_1", "k")
        )
