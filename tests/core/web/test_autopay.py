"""Automatic payment of a subscription, end to end against a local server speaking Stripe's
wire format: the customer agrees on the first invoice's page, the next period is charged
off-session, a declined charge hands the period back to its link with its own messages, and the
customer recovers it by paying there. Then the customer, the merchant and the API stop it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import parse_qsl

import pytest
from werkzeug import Request, Response

from core.payments import signatures
from core.services import invoice_creation, invoicing, recurring
from core.services.invoice_queries import invoice_timeline
from core.services.payment_accounts import configure_payment_account
from core.services.reminder_schedule import sweep_due_reminders
from core.storage.models import Checkout, Message
from tests.core.services.test_recurring import invoices_of, request
from tests.support.console import csrf_token, sign_in
from tests.support.factories import merchant, order

SECRET = "whsec_test_autopay"
CUSTOMER, CARD = "cus_TQk2mN8xPq4Zr1", "pm_1SXq2bLkdIwHu7ixVisa4242"


class FakeStripe:
    """Checkout Sessions and PaymentIntents as Stripe answers them, with what was asked."""

    def __init__(self, httpserver) -> None:
        self.sessions: dict[str, dict[str, str]] = {}
        self.charges: list[tuple[dict[str, str], str]] = []
        self.charge_answers: list[tuple[int, dict]] = []
        httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(
            self.create_session
        )
        httpserver.expect_request(
            re.compile(r"^/v1/checkout/sessions/cs_test_\w+$"), method="GET"
        ).respond_with_handler(self.read_session)
        httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_handler(
            self.create_intent
        )

    def create_session(self, req: Request) -> Response:
        form = dict(parse_qsl(req.get_data(as_text=True)))
        session_id = f"cs_test_autopay{len(self.sessions) + 1}"
        self.sessions[session_id] = form
        body = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
        }
        return Response(json.dumps(body), 200, content_type="application/json")

    def read_session(self, req: Request) -> Response:
        """A completed session, read back with its PaymentIntent's card expanded."""
        assert req.args.getlist("expand[]") == ["payment_intent.payment_method"]
        session_id = req.path.rsplit("/", 1)[1]
        saves = "payment_intent_data[setup_future_usage]" in self.sessions[session_id]
        body = {
            "id": session_id,
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "customer": CUSTOMER if saves else None,
            "payment_intent": {
                "id": "pi_" + session_id,
                "object": "payment_intent",
                "status": "succeeded",
                "payment_method": {
                    "id": CARD,
                    "object": "payment_method",
                    "type": "card",
                    "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2029},
                },
            },
        }
        return Response(json.dumps(body), 200, content_type="application/json")

    def create_intent(self, req: Request) -> Response:
        self.charges.append(
            (dict(parse_qsl(req.get_data(as_text=True))), req.headers["Idempotency-Key"])
        )
        status, body = self.charge_answers.pop(0)
        return Response(json.dumps(body), status, content_type="application/json")


def intent(intent_id: str, amount: int, status: str = "succeeded") -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "eur",
        "customer": CUSTOMER,
        "payment_method": CARD,
        "status": status,
        "metadata": {"paylink_autopay": "1"},
    }


def declined(intent_id: str, amount: int) -> dict:
    """Stripe's 402 for an off-session charge the bank refused."""
    failed = intent(intent_id, amount, "requires_payment_method")
    return {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_intent": failed,
        }
    }


def completed(session_id: str, amount: int, created: int) -> bytes:
    event = {
        "id": f"evt_{session_id}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": created,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": "eur",
                "payment_intent": "pi_" + session_id,
                "payment_status": "paid",
                "status": "complete",
            }
        },
    }
    return json.dumps(event).encode()


@pytest.fixture
def stripe(app, ctx, env, shop, httpserver):
    stripe_env = replace(env, api_base_urls={"stripe": httpserver.url_for("").rstrip("/")})
    app.extensions["paylink.providers"] = stripe_env
    account = configure_payment_account(
        ctx, stripe_env, shop.id, "stripe", {"secret_key": "sk_test_1", "webhook_secrets": [SECRET]}
    )
    return account, FakeStripe(httpserver)


@pytest.fixture
def subscribed(client, ctx, shop, stripe, clock, run_jobs):
    """A monthly subscription whose customer paid its first invoice agreeing to autopay."""
    account, fake = stripe
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    [first] = invoices_of(ctx, shop)
    pay_by_link(client, clock, account, fake, first, save=True)
    run_jobs()
    return schedule, first, fake


def token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def pay_by_link(client, clock, account, fake, invoice, save: bool) -> str:
    """The customer opens the link, pays by card (ticking the box or not), and Stripe says so."""
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    form = {"token": token(html), "method": "card", **({"save_method": "yes"} if save else {})}
    answer = client.post(f"/i/{invoice.link_code}/pay", data=form)
    assert answer.status_code == 303
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    body = completed(session_id, invoice.total, int(clock().timestamp()))
    header = signatures.signature_header(body, SECRET, int(clock().timestamp()))
    delivered = client.post(
        f"/webhooks/stripe/{account.id}", data=body, headers={"Stripe-Signature": header}
    )
    assert delivered.status_code == 200
    return session_id


def kinds_sent(ctx, invoice) -> list[str]:
    with ctx.db.reading() as session:
        rows = session.query(Message).filter(Message.invoice_id == invoice.id).order_by(Message.id)
        return [message.kind for message in rows]


def timeline(ctx, invoice) -> list[str]:
    return [event.kind for event in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]


def test_three_periods_one_charged_one_declined_and_recovered_by_link(
    client, ctx, shop, stripe, clock, run_jobs
):
    account, fake = stripe
    schedule, _ = recurring.create_schedule(ctx, shop.id, request(end_after=3))
    recurring.issue_due_invoices(ctx)
    run_jobs()
    [first] = invoices_of(ctx, shop)
    page = client.get(f"/i/{first.link_code}").get_data(as_text=True)
    assert "Régler automatiquement les prochaines factures" in page
    session_id = pay_by_link(client, clock, account, fake, first, save=True)
    form = fake.sessions[session_id]
    assert form["payment_intent_data[setup_future_usage]"] == "off_session"
    assert form["customer_creation"] == "always"
    run_jobs()
    saved = recurring.schedule_of(ctx, shop.id, schedule.id)
    assert saved.autopay_label == "Visa •••• 4242" and saved.autopay_account_id == account.id
    assert CUSTOMER not in saved.autopay_ciphertext  # kept encrypted
    assert "autopay_on" in timeline(ctx, first)

    # Period 2: charged off-session, no message asks for payment, the receipt follows.
    clock.advance(days=31)
    fake.charge_answers.append((200, intent("pi_period2", 1990)))
    recurring.issue_due_invoices(ctx)
    second = invoices_of(ctx, shop)[1]
    assert second.autopay == "pending"
    assert "rien à faire" in client.get(f"/i/{second.link_code}").get_data(as_text=True)
    run_jobs()
    [(charge_form, key)] = fake.charges
    assert charge_form == {
        "amount": "1990",
        "currency": "eur",
        "customer": CUSTOMER,
        "payment_method": CARD,
        "off_session": "true",
        "confirm": "true",
        "description": f"Boutique Lune {second.number}",
        "metadata[invoice_id]": str(second.id),
        "metadata[invoice_number]": second.number,
        "metadata[paylink_autopay]": "1",
    }
    assert key == f"paylink-autopay-{second.id}"
    second = invoicing.load_invoice_by_id(ctx, shop.id, second.id)
    assert (second.status.value, second.amount_paid) == ("paid", 1990)
    assert kinds_sent(ctx, second) == ["receipt"]
    assert {"autopay_charged", "payment_received"} <= set(timeline(ctx, second))

    # Period 3: declined; its link takes over with the failed charge's own message.
    clock.advance(days=31)
    fake.charge_answers.append((402, declined("pi_period3", 1990)))
    recurring.issue_due_invoices(ctx)
    third = invoices_of(ctx, shop)[2]
    run_jobs()
    third = invoicing.load_invoice_by_id(ctx, shop.id, third.id)
    assert (third.status.value, third.autopay) == ("open", "failed")
    assert kinds_sent(ctx, third) == ["charge_failed"]
    events = invoice_timeline(ctx, shop.id, third.id)
    [failure] = [e for e in events if e.kind == "autopay_failed"]
    assert failure.data["decline"] == "insufficient_funds"
    page = client.get(f"/i/{third.link_code}").get_data(as_text=True)
    assert "Le paiement automatique de cette facture n&#39;a pas abouti" in page
    pay_by_link(client, clock, account, fake, third, save=False)
    run_jobs()
    third = invoicing.load_invoice_by_id(ctx, shop.id, third.id)
    assert third.status.value == "paid"
    assert kinds_sent(ctx, third) == ["charge_failed", "receipt"]
    assert recurring.schedule_of(ctx, shop.id, schedule.id).status == "ended"
    assert len(fake.charges) == 2


def test_a_failed_charge_s_reminders_speak_of_it(ctx, shop, subscribed, clock, run_jobs):
    _, _, fake = subscribed
    clock.advance(days=31)
    fake.charge_answers.append((402, declined("pi_late", 1990)))
    recurring.issue_due_invoices(ctx)
    run_jobs()
    second = invoices_of(ctx, shop)[1]
    clock.advance(hours=25)  # the default policy's email 24 h after the first message
    sweep_due_reminders(ctx)
    run_jobs()
    assert kinds_sent(ctx, second) == ["charge_failed", "charge_failed_reminder"]


def test_a_charge_stripe_did_not_answer_is_retried_as_the_same_charge(
    ctx, shop, subscribed, clock, run_jobs
):
    _, _, fake = subscribed
    clock.advance(days=31)
    fake.charge_answers += [
        (500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        (200, intent("pi_retried", 1990)),
    ]
    recurring.issue_due_invoices(ctx)
    run_jobs()
    second = invoices_of(ctx, shop)[1]
    assert invoicing.load_invoice_by_id(ctx, shop.id, second.id).status.value == "open"
    clock.advance(minutes=30)
    run_jobs()
    assert [key for _, key in fake.charges] == [f"paylink-autopay-{second.id}"] * 2
    paid = invoicing.load_invoice_by_id(ctx, shop.id, second.id)
    assert paid.status.value == "paid" and kinds_sent(ctx, paid) == ["receipt"]


def test_a_provider_out_of_reach_for_a_day_hands_the_period_to_its_link(
    ctx, shop, subscribed, clock, run_jobs
):
    _, _, fake = subscribed
    clock.advance(days=31)
    fake.charge_answers += [(503, {"error": {"type": "api_error"}})] * 20
    recurring.issue_due_invoices(ctx)
    second = invoices_of(ctx, shop)[1]
    run_jobs()
    for _ in range(8):  # every retry of the charge fails, for a day
        clock.advance(hours=3, minutes=1)
        run_jobs()
    with ctx.db.reading() as session:
        assert session.query(Checkout).filter(Checkout.invoice_id == second.id).count() == 0
    failed = invoicing.load_invoice_by_id(ctx, shop.id, second.id)
    assert failed.autopay == "failed" and kinds_sent(ctx, failed)[0] == "charge_failed"
    [event] = [e for e in invoice_timeline(ctx, shop.id, second.id) if e.kind == "autopay_failed"]
    assert event.data["decline"] == "no_answer"


def test_without_consent_nothing_is_saved_and_the_next_period_has_its_link(
    client, ctx, shop, stripe, clock, run_jobs
):
    account, fake = stripe
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    [first] = invoices_of(ctx, shop)
    session_id = pay_by_link(client, clock, account, fake, first, save=False)
    assert "payment_intent_data[setup_future_usage]" not in fake.sessions[session_id]
    run_jobs()
    assert recurring.schedule_of(ctx, shop.id, schedule.id).autopay_label is None
    clock.advance(days=31)
    recurring.issue_due_invoices(ctx)
    run_jobs()
    second = invoices_of(ctx, shop)[1]
    assert second.autopay is None and kinds_sent(ctx, second) == ["invoice"]
    assert fake.charges == []


def test_a_plain_invoice_offers_no_saving(client, ctx, shop, stripe):
    created, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    page = client.get(f"/i/{created.link_code}").get_data(as_text=True)
    assert "save_method" not in page


def test_the_customer_the_merchant_and_the_api_stop_automatic_payment(
    client, ctx, shop, subscribed, clock, run_jobs, auth
):
    schedule, first, fake = subscribed
    api = client.get(f"/api/v1/recurring-invoices/{schedule.id}", headers=auth).json
    assert api["autopay"]["method"] == "Visa •••• 4242"
    url = f"/i/{first.link_code}/subscription"
    html = client.get(url).get_data(as_text=True)
    # The card's label stays on one line on a phone.
    assert "Paiement automatique avec Visa\u00a0••••\u00a04242, depuis le 2 mars 2026." in html
    client.post(url, data={"token": token(html), "action": "stop_autopay"})
    html = client.get(url).get_data(as_text=True)
    assert "Pas de paiement automatique" in html and 'value="stop_autopay"' not in html
    assert "subscription_stop_autopay_by_customer" in timeline(ctx, first)
    stopped = client.post(f"/api/v1/recurring-invoices/{schedule.id}/stop_autopay", headers=auth)
    assert stopped.status_code == 409
    assert (
        client.get(f"/api/v1/recurring-invoices/{schedule.id}", headers=auth).json["autopay"]
        is None
    )
    clock.advance(days=31)
    recurring.issue_due_invoices(ctx)
    run_jobs()
    assert kinds_sent(ctx, invoices_of(ctx, shop)[1]) == ["invoice"] and fake.charges == []


def test_another_merchant_s_schedule_cannot_be_stopped(client, ctx, shop, stripe, auth):
    other = merchant(ctx, "Autre Boutique")
    schedule, _ = recurring.create_schedule(ctx, other.id, request())
    answer = client.post(f"/api/v1/recurring-invoices/{schedule.id}/stop_autopay", headers=auth)
    assert answer.status_code == 404


def test_cancelling_forgets_the_saved_method(ctx, shop, subscribed):
    schedule, _, _ = subscribed
    cancelled = recurring.cancel(ctx, shop.id, schedule.id)
    assert (cancelled.autopay_ciphertext, cancelled.autopay_label) == (None, None)


def test_one_sweep_gives_each_invoice_its_own_words(client, ctx, shop, stripe, clock, run_jobs):
    """A plain subscription's reminder and a failed charge's, due in the same sweep."""
    account, fake = stripe
    recurring.create_schedule(ctx, shop.id, request("abo-plain"))
    recurring.create_schedule(ctx, shop.id, request("abo-auto"))
    recurring.issue_due_invoices(ctx)
    plain, auto = invoices_of(ctx, shop)
    pay_by_link(client, clock, account, fake, auto, save=True)
    run_jobs()
    clock.advance(days=31)
    fake.charge_answers.append((402, declined("pi_mixed", 1990)))
    recurring.issue_due_invoices(ctx)
    run_jobs()
    plain_next, auto_next = invoices_of(ctx, shop)[2:]
    assert plain_next.external_id.startswith(f"recurring:{plain.external_id.split(':')[1]}:")
    clock.advance(hours=25)
    sweep_due_reminders(ctx)
    run_jobs()
    assert kinds_sent(ctx, plain_next) == ["invoice", "reminder"]
    assert kinds_sent(ctx, auto_next) == ["charge_failed", "charge_failed_reminder"]


def test_the_merchant_sees_and_stops_it_in_the_console(client, ctx, shop, subscribed):
    schedule, _, _ = subscribed
    sign_in(client, ctx, shop.id)
    page = client.get("/console/recurring").get_data(as_text=True)
    assert "Visa\u00a0••••\u00a04242, depuis le 2 mars 2026" in page
    stop = client.post(
        f"/console/recurring/{schedule.id}/stop_autopay", data={"csrf_token": csrf_token(page)}
    )
    assert stop.status_code == 303
    page = client.get("/console/recurring").get_data(as_text=True)
    assert "Paiement automatique arrêté" in page and "4242" not in page
    assert recurring.schedule_of(ctx, shop.id, schedule.id).autopay_account_id is None


def test_a_period_being_charged_cannot_be_sent_again(
    client, ctx, shop, subscribed, clock, run_jobs
):
    _, _, fake = subscribed
    clock.advance(days=31)
    fake.charge_answers.append((200, intent("pi_slow", 1990, "processing")))  # a debit, say
    recurring.issue_due_invoices(ctx)
    run_jobs()
    second = invoices_of(ctx, shop)[1]
    assert invoicing.load_invoice_by_id(ctx, shop.id, second.id).autopay == "pending"
    sign_in(client, ctx, shop.id)
    page = client.get(f"/console/invoices/{second.id}").get_data(as_text=True)
    assert "Paiement automatique en cours" in page and "/resend" not in page
    answer = client.post(
        f"/console/invoices/{second.id}/resend", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 303
    page = client.get(f"/console/invoices/{second.id}").get_data(as_text=True)
    assert "en cours de paiement automatique" in page
    run_jobs()
    assert kinds_sent(ctx, second) == []  # its link was not sent: it cannot be paid twice
