"""Customers and SMS providers talking back: unsubscribe links, Twilio and SMSFactor receipts
and STOP replies."""

import hashlib
import hmac
import json
from dataclasses import replace

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from core.reminders import Channel
from core.services import invoice_creation
from core.services.opt_outs import unsubscribe_token
from core.storage.models import Invoice, Message, OptOut
from core.web import create_app
from tests.support.factories import merchant, order

TOKEN = "twilio-auth-token"
SF_SECRET = "mysignature123"


@pytest.fixture
def app(settings, clock, database):
    own = {"PAYLINK_TWILIO_AUTH_TOKEN": TOKEN, "PAYLINK_SMSFACTOR_WEBHOOK_SECRET": SF_SECRET}
    configured = replace(settings, environ=own)
    return create_app(configured, clock=clock, database=database)


@pytest.fixture
def sent_sms(app, ctx, run_jobs):
    """An invoice whose SMS went out (the outbox), as if Twilio had taken it as SM123."""
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    run_jobs()
    with ctx.db.transaction() as session:
        message = session.scalars(select(Message)).one()
        message.provider, message.provider_message_id, message.status = "twilio", "SM123", "sent"
    return invoice


def signed_post(client, path, form, token=TOKEN):
    signature = RequestValidator(token).compute_signature(f"https://pay.example{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def opt_outs(ctx):
    with ctx.db.transaction() as session:
        return [(o.channel, o.source) for o in session.scalars(select(OptOut))]


def test_unsubscribe_asks_then_records_once(client, ctx, sent_sms):
    with ctx.db.transaction() as session:
        token = unsubscribe_token("test-secret", session.get(Invoice, sent_sms.id), Channel.EMAIL)
    page = client.get(f"/u/{token}")
    assert page.status_code == 200 and "Boutique Lune" in page.get_data(as_text=True)
    assert opt_outs(ctx) == []  # a GET (a link scanner) changes nothing
    one_click = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "noté" in one_click.get_data(as_text=True)
    client.post(f"/u/{token}")
    assert opt_outs(ctx) == [("email", "unsubscribe_link")]
    assert client.get("/u/forged-token").status_code == 404


def test_a_delivery_receipt_updates_the_message(client, ctx, sent_sms):
    response = signed_post(
        client,
        "/channels/twilio/status",
        {"MessageSid": "SM123", "MessageStatus": "delivered", "AccountSid": "AC1"},
    )
    assert response.status_code == 204
    with ctx.db.transaction() as session:
        message = session.scalars(select(Message)).one()
        assert message.status == "delivered" and message.delivered_at is not None


def test_an_undelivered_sms_falls_back_to_email(client, ctx, sent_sms, run_jobs):
    signed_post(
        client,
        "/channels/twilio/status",
        {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    run_jobs()
    with ctx.db.transaction() as session:
        messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.step, m.channel, m.status) for m in messages] == [
        ("invoice", "sms", "failed"),
        ("invoice:email", "email", "stored"),
    ]


def test_callbacks_with_a_bad_signature_are_refused(client, ctx, sent_sms):
    form = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    assert signed_post(client, "/channels/twilio/status", form, token="wrong").status_code == 403
    assert client.post("/channels/twilio/status", data=form).status_code == 403
    with ctx.db.transaction() as session:
        assert session.scalars(select(Message)).one().status == "sent"


def test_a_stop_reply_stops_sms_from_every_merchant_that_texted_the_number(client, ctx, sent_sms):
    other = merchant(ctx, "Atelier Soleil")
    invoice_creation.create_invoice(ctx, other.id, order("2"))
    response = signed_post(
        client,
        "/channels/twilio/inbound",
        {"From": "+33612345678", "Body": "Stop ", "To": "+33700"},
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Response></Response>" in response.get_data(as_text=True)
    assert sorted(opt_outs(ctx)) == [("sms", "sms_stop_reply")] * 2
    signed_post(client, "/channels/twilio/inbound", {"From": "+33612345678", "Body": "merci"})
    assert len(opt_outs(ctx)) == 2


def smsfactor_post(client, path, body: dict, signature=SF_SECRET):
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-SMSFactor-Signature": signature},
    )


def as_smsfactor(ctx) -> int:
    with ctx.db.transaction() as session:
        message = session.scalars(select(Message)).one()
        message.provider = "smsfactor"
        return message.id


def test_smsfactor_delivery_reports_settle_the_message_they_name(client, ctx, sent_sms, run_jobs):
    message_id = as_smsfactor(ctx)
    report = {
        "date": "2026-03-02T10:31:12+01:00",
        "status": 3,
        "destination": "33612345678",
        "message_id": str(message_id),
        "campaign_id": "15948909",
        "country_code": "FR",
    }
    assert smsfactor_post(client, "/channels/smsfactor/dlr", report).status_code == 204
    with ctx.db.transaction() as session:
        assert session.get(Message, message_id).status == "delivered"
    forged = smsfactor_post(client, "/channels/smsfactor/dlr", report, signature="guess")
    assert forged.status_code == 403


def test_an_smsfactor_failure_report_falls_back_to_email(client, ctx, sent_sms, run_jobs):
    message_id = as_smsfactor(ctx)
    body = json.dumps({"status": 5, "message_id": str(message_id), "destination": "33612345678"})
    signature = hmac.new(SF_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    response = client.post(
        "/channels/smsfactor/dlr", data=body, headers={"X-SMSFactor-Signature": signature}
    )
    assert response.status_code == 204
    run_jobs()
    with ctx.db.transaction() as session:
        messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.channel, m.status) for m in messages] == [("sms", "failed"), ("email", "stored")]
    assert messages[0].error == "smsfactor: DLR status 5"


def test_an_smsfactor_stop_opts_the_number_out(client, ctx, sent_sms):
    stop = {
        "date": "2026-03-02T13:01:29+02:00",
        "message": "Stop SMS",
        "from": "33612345678",
        "account_id": "1234",
        "last_message_id": "1",
    }
    assert smsfactor_post(client, "/channels/smsfactor/stop", stop).status_code == 204
    assert opt_outs(ctx) == [("sms", "sms_stop_reply")]
    assert smsfactor_post(client, "/channels/smsfactor/stop", [1]).status_code == 400


def test_callback_routes_exist_only_for_what_a_channel_declares(client):
    assert client.post("/channels/outbox/status").status_code == 404
    assert client.post("/channels/twilio/whatever").status_code == 404
    assert client.post("/channels/nosuch/status").status_code == 404
