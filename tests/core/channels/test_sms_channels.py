"""SMSFactor and Twilio against a local server speaking their wire formats, and an SMS the
provider refuses falling back to email."""

from base64 import b64encode
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select

from core.channels.channel import ChannelError, ChannelRejected, OutgoingMessage
from core.channels.outbox import OutboxChannel
from core.channels.smsfactor import SmsFactorChannel
from core.channels.twilio import TwilioChannel
from core.errors import ConfigurationError
from core.jobs import JobQueue, Worker
from core.reminders import Channel
from core.services import invoice_creation
from core.services.job_handlers import core_handlers
from core.services.messaging import MessagingEnvironment
from core.settings import Settings
from core.storage.models import Message
from tests.support.factories import merchant, order, provider_env
from tests.support.openapi_contract import TWILIO, OpenApiContract, checked_against
from tests.support.providers import json_answer

SID = "AC0123456789abcdef0123456789abcdef"


def settings_for(httpserver, **changes: str | None) -> Settings:
    """Both SMS providers configured through their own variables; `changes` by variable name
    (None leaves it out)."""
    base = httpserver.url_for("").rstrip("/")
    environ = {
        "PAYLINK_SMSFACTOR_TOKEN": "sf-token",
        "PAYLINK_TWILIO_ACCOUNT_SID": SID,
        "PAYLINK_TWILIO_AUTH_TOKEN": "twilio-token",
        "PAYLINK_TWILIO_FROM": "BoutiqueLun",
    } | changes
    return Settings(
        database_url="sqlite://",
        data_dir=None,
        secret_key="s",
        encryption_keys="k1:" + "A" * 43,
        provider_api_bases={"smsfactor": base, "twilio": base},
        environ={name: value for name, value in environ.items() if value is not None},
    )


def sms(marketing=False, sender="BoutiqueLun") -> OutgoingMessage:
    return OutgoingMessage(
        7,
        Channel.SMS,
        "+33612345678",
        "Bonjour Marie, votre facture de 75,50 € est disponible : https://pay.example/i/x",
        sender,
        marketing=marketing,
        status_callback_url="https://pay.example/channels/twilio/status",
    )


def test_smsfactor_sends_the_documented_query(httpserver):
    seen = []

    def handler(request):
        seen.append((dict(request.args), request.headers))
        return json_answer({"status": 1, "message": "OK", "ticket": "14672468", "cost": 1,
                            "credits": 642, "total": 1, "sent": 1, "blacklisted": 0,
                            "duplicated": 0, "invalid": 0, "npai": 0})  # fmt: skip

    httpserver.expect_request("/send", method="GET").respond_with_handler(handler)
    sent = SmsFactorChannel(settings_for(httpserver)).send(sms(marketing=True))
    assert (sent.provider_message_id, sent.status) == ("14672468", "sent")
    ((query, headers),) = seen
    assert query == {
        "to": "33612345678",
        "text": sms().body,
        "sender": "BoutiqueLun",
        "pushtype": "marketing",
        "gsmsmsid": "7",
    }
    assert headers["Authorization"] == "Bearer sf-token"
    assert headers["Accept"] == "application/json"


def test_smsfactor_refusals(httpserver):
    channel = SmsFactorChannel(settings_for(httpserver))
    httpserver.expect_oneshot_request("/send").respond_with_response(
        json_answer({"status": 1, "sent": 0, "invalid": 1, "message": "OK"})
    )
    with pytest.raises(ChannelRejected, match="refused"):
        channel.send(sms())
    httpserver.expect_oneshot_request("/send").respond_with_response(
        json_answer({"status": -7, "message": "Unauthorized"}, 401)
    )
    with pytest.raises(ChannelError, match="Unauthorized"):
        channel.send(sms())
    httpserver.expect_oneshot_request("/send").respond_with_data("busy", status=503)
    with pytest.raises(ChannelError, match="unavailable"):
        channel.send(sms())


@pytest.fixture
def twilio_contract(request):
    """Every call of the test fits Twilio's official OpenAPI file (form fields included)."""
    yield from checked_against(request, OpenApiContract(*TWILIO))


@pytest.mark.usefixtures("twilio_contract")
def test_twilio_posts_the_form_with_basic_auth(httpserver):
    seen = []

    def handler(request):
        seen.append((dict(parse_qsl(request.get_data(as_text=True))), request.headers))
        return json_answer({"sid": "SM1a2b3c4d5e6f", "status": "queued", "to": "+33612345678"}, 201)

    httpserver.expect_request(
        f"/2010-04-01/Accounts/{SID}/Messages.json", method="POST"
    ).respond_with_handler(handler)
    sent = TwilioChannel(settings_for(httpserver)).send(sms())
    assert sent.provider_message_id == "SM1a2b3c4d5e6f"
    ((form, headers),) = seen
    assert form == {
        "To": "+33612345678",
        "Body": sms().body,
        "From": "BoutiqueLun",
        "StatusCallback": "https://pay.example/channels/twilio/status",
    }
    assert headers["Authorization"] == "Basic " + b64encode(f"{SID}:twilio-token".encode()).decode()


@pytest.mark.usefixtures("twilio_contract")
def test_a_messaging_service_sid_is_sent_as_such(httpserver):
    seen = []
    httpserver.expect_request(f"/2010-04-01/Accounts/{SID}/Messages.json").respond_with_handler(
        lambda request: seen.append(request.form.to_dict()) or json_answer({"sid": "SM2"}, 201)
    )
    TwilioChannel(
        settings_for(httpserver, PAYLINK_TWILIO_FROM="MG9752274e9e519418a7406176694466fa")
    ).send(sms())
    assert seen[0]["MessagingServiceSid"].startswith("MG") and "From" not in seen[0]


@pytest.mark.usefixtures("twilio_contract")
def test_a_sender_id_starting_with_mg_is_a_sender_id(httpserver):
    """A merchant called "MGM Bijoux" sends as "MGMBijoux": From, not a Messaging Service."""
    seen = []
    httpserver.expect_request(f"/2010-04-01/Accounts/{SID}/Messages.json").respond_with_handler(
        lambda request: seen.append(request.form.to_dict()) or json_answer({"sid": "SM3"}, 201)
    )
    TwilioChannel(settings_for(httpserver, PAYLINK_TWILIO_FROM=None)).send(sms(sender="MGMBijoux"))
    assert seen[0]["From"] == "MGMBijoux" and "MessagingServiceSid" not in seen[0]


def test_the_contract_catches_what_twilio_refuses():
    """The check itself can fail: the request sent before this fix does not fit."""
    from werkzeug.test import EnvironBuilder

    before = EnvironBuilder(
        path=f"/2010-04-01/Accounts/{SID}/Messages.json",
        method="POST",
        data={"To": "+33612345678", "Body": "x", "MessagingServiceSid": "MGMBijoux"},
    ).get_request()
    assert any("MessagingServiceSid" in p for p in OpenApiContract(*TWILIO).violations(before))


def test_missing_credentials_stop_the_start(httpserver):
    with pytest.raises(ConfigurationError, match="PAYLINK_SMSFACTOR_TOKEN"):
        SmsFactorChannel(settings_for(httpserver, PAYLINK_SMSFACTOR_TOKEN=None))
    with pytest.raises(ConfigurationError, match="PAYLINK_TWILIO_AUTH_TOKEN"):
        TwilioChannel(settings_for(httpserver, PAYLINK_TWILIO_AUTH_TOKEN=None))


def test_a_refused_sms_falls_back_to_email(ctx, clock, httpserver):
    httpserver.expect_request(f"/2010-04-01/Accounts/{SID}/Messages.json").respond_with_response(
        json_answer({"code": 21211, "message": "The 'To' number is not a valid phone number.",
                     "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400},
                    400)
    )  # fmt: skip
    messaging = MessagingEnvironment(
        {Channel.SMS: TwilioChannel(settings_for(httpserver)), Channel.EMAIL: OutboxChannel()},
        "https://pay.example",
        "k",
    )
    shop = merchant(ctx)
    invoice_creation.create_invoice(ctx, shop.id, order())
    Worker(JobQueue(ctx.db, clock), core_handlers(ctx, provider_env(ctx), messaging)).run(
        until_idle=True
    )
    with ctx.db.transaction() as session:
        messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.step, m.channel, m.status) for m in messages] == [
        ("invoice", "sms", "failed"),
        ("invoice:email", "email", "stored"),
    ]
    assert "21211" in messages[0].error
