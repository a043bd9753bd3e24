"""SMS through Twilio Programmable Messaging: a form POST to the account's Messages resource
with HTTP Basic auth, and its callbacks (delivery receipts at the StatusCallback URL each
message names, replies at the number's inbound URL), both signed with X-Twilio-Signature."""

from __future__ import annotations

import re
from typing import ClassVar

from twilio.request_validator import RequestValidator

from core.channels.channel import (
    CallbackAnswer,
    CallbackRefused,
    ChannelError,
    ChannelRejected,
    DeliveryReceipt,
    IncomingCallback,
    OutgoingMessage,
    SentMessage,
    StopReply,
)
from core.errors import ConfigurationError, NotFound, OutsideServiceFailed
from core.http import http_session, send_json
from core.reminders import Channel, MessageStatus
from core.settings import Settings
from core.sms import is_stop_reply

DEFAULT_API_BASE = "https://api.twilio.com"
#: A Messaging Service SID as Twilio's contract spells it; any other sender (a number, or an
#: alphanumeric sender id such as "MGMBijoux" built from a merchant's name) goes as From.
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
#: Twilio error codes that no retry can fix (invalid or unreachable number, opted out).
PERMANENT_ERRORS = frozenset({21211, 21408, 21610, 21612, 21614})


#: Twilio's MessageStatus values that settle a sent message; others (queued, sending, sent,
#: accepted...) change nothing.
RECEIPTS = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}
#: What Twilio expects from an inbound-message webhook that sends no reply.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioChannel:
    media: ClassVar[frozenset[Channel]] = frozenset({Channel.SMS})
    name: ClassVar[str] = "twilio"
    #: `status`: delivery receipts (each message names this URL); `inbound`: replies to the
    #: number (set on the number or Messaging Service in Twilio's console).
    callbacks: ClassVar[frozenset[str]] = frozenset({"status", "inbound"})

    def __init__(self, settings: Settings) -> None:
        """From PAYLINK_TWILIO_ACCOUNT_SID, PAYLINK_TWILIO_AUTH_TOKEN and PAYLINK_TWILIO_FROM
        (a number or a Messaging Service SID; the merchant's sender id when unset)."""
        own = settings.plugin_settings("twilio")
        if not (own.get("account_sid") and own.get("auth_token")):
            raise ConfigurationError(
                "PAYLINK_SMS_CHANNEL=twilio needs PAYLINK_TWILIO_ACCOUNT_SID and "
                "PAYLINK_TWILIO_AUTH_TOKEN"
            )
        self.account_sid = own["account_sid"]
        self.auth = (own["account_sid"], own["auth_token"])
        self.sender = own.get("from")
        base = settings.provider_api_bases.get("twilio", DEFAULT_API_BASE)
        self.url = f"{base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        self.session = http_session()

    def send(self, message: OutgoingMessage) -> SentMessage:
        form = {"To": message.to, "Body": message.body}
        sender = self.sender or message.sender
        form["MessagingServiceSid" if MESSAGING_SERVICE_SID.fullmatch(sender) else "From"] = sender
        if message.status_callback_url:
            form["StatusCallback"] = message.status_callback_url
        try:
            status, body = send_json(
                self.session, "Twilio", "POST", self.url, data=form, auth=self.auth
            )
        except OutsideServiceFailed as error:
            raise ChannelError(error.message) from None
        if status >= 400:
            reason = f"{body.get('code')}: {body.get('message', 'no message')}"
            if body.get("code") in PERMANENT_ERRORS:
                raise ChannelRejected(f"Twilio refused {message.to} ({reason})")
            raise ChannelError(f"Twilio did not take the message ({status}, {reason})")
        return SentMessage(str(body["sid"]), MessageStatus.SENT)

    @classmethod
    def read_callback(
        cls, settings: Settings, callback: str, incoming: IncomingCallback
    ) -> CallbackAnswer:
        """X-Twilio-Signature checked against the URL Twilio called and the form it posted
        (Twilio's own validator), then a receipt or a STOP reply."""
        token = settings.plugin_settings("twilio").get("auth_token")
        if not token:
            raise NotFound("Twilio is not configured")
        form = dict(incoming.form)
        signature = incoming.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(token).validate(incoming.url, form, signature):
            raise CallbackRefused("X-Twilio-Signature does not match")
        if callback == "status":
            status = form.get("MessageStatus", "")
            receipt = DeliveryReceipt(
                RECEIPTS.get(status),
                f"{status} (error {form.get('ErrorCode')})",
                provider_message_id=form.get("MessageSid", ""),
            )
            return CallbackAnswer(receipt)
        sender = form.get("From", "")
        stop = sender.startswith("+") and is_stop_reply(form.get("Body", ""))
        return CallbackAnswer(StopReply(sender) if stop else None, EMPTY_TWIML, "text/xml", 200)
