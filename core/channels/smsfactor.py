"""SMS through SMSFactor (French aggregator): `GET /send` with a bearer token, the number in
international form without "+", `pushtype` alert (transactional) or marketing, and our message
id as `gsmsmsid`, which its delivery reports echo."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import ClassVar

from core.channels.channel import (
    CallbackAnswer,
    CallbackRefused,
    CallbackUnreadable,
    ChannelError,
    ChannelRejected,
    DeliveryReceipt,
    IncomingCallback,
    OutgoingMessage,
    SentMessage,
    StopReply,
)
from core.errors import MALFORMED_PAYLOAD, ConfigurationError, NotFound, OutsideServiceFailed
from core.http import http_session, send_json
from core.reminders import Channel, MessageStatus
from core.settings import Settings

DEFAULT_API_BASE = "https://api.smsfactor.com"


#: SMSFactor's DLR status codes (dev.smsfactor.com, "Delivery reports"): 3 is delivered; 0 and
#: 1 (not sent yet, sent without a report yet) change nothing; the rest are failures.
RECEIPTS = {3: MessageStatus.DELIVERED} | dict.fromkeys(
    (2, 4, 5, 6, 7, 9, 11, 12), MessageStatus.FAILED
)


class SmsFactorChannel:
    media: ClassVar[frozenset[Channel]] = frozenset({Channel.SMS})
    name: ClassVar[str] = "smsfactor"
    #: The DLR and STOP webhooks set in SMSFactor's console, with their signature secret.
    callbacks: ClassVar[frozenset[str]] = frozenset({"dlr", "stop"})

    def __init__(self, settings: Settings) -> None:
        """From PAYLINK_SMSFACTOR_TOKEN (its callbacks: PAYLINK_SMSFACTOR_WEBHOOK_SECRET)."""
        token = settings.plugin_settings("smsfactor").get("token")
        if not token:
            raise ConfigurationError("PAYLINK_SMS_CHANNEL=smsfactor needs PAYLINK_SMSFACTOR_TOKEN")
        self.base_url = settings.provider_api_bases.get("smsfactor", DEFAULT_API_BASE)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        }
        self.session = http_session()

    def send(self, message: OutgoingMessage) -> SentMessage:
        query = {
            "to": message.to.removeprefix("+"),
            "text": message.body,
            "sender": message.sender,
            "pushtype": "marketing" if message.marketing else "alert",
            "gsmsmsid": str(message.message_id),
        }
        try:
            status, body = send_json(
                self.session,
                "SMSFactor",
                "GET",
                f"{self.base_url}/send",
                params=query,
                headers=self.headers,
            )
        except OutsideServiceFailed as error:
            raise ChannelError(error.message) from None
        if status >= 500 or status == 429:
            raise ChannelError(f"SMSFactor is unavailable ({status})")
        if body.get("status") != 1 or int(body.get("sent", 0)) < 1:
            reason = body.get("message") or body.get("details") or f"HTTP {status}"
            if int(body.get("invalid", 0)) or int(body.get("blacklisted", 0)):
                raise ChannelRejected(f"SMSFactor refused {message.to}: {reason}")
            raise ChannelError(f"SMSFactor did not send the message: {reason}")
        return SentMessage(str(body.get("ticket") or message.message_id), MessageStatus.SENT)

    @classmethod
    def read_callback(
        cls, settings: Settings, callback: str, incoming: IncomingCallback
    ) -> CallbackAnswer:
        """`X-SMSFactor-Signature` carries the webhook's secret itself or, accepted too, the
        hex HMAC-SHA256 of the body under it (SMSFactor's page does not say which); then a
        delivery report naming our message id (`gsmsmsid`), or a STOP from a number."""
        secret = settings.plugin_settings("smsfactor").get("webhook_secret")
        if not secret:
            raise NotFound("SMSFactor's webhooks are not configured")
        presented = incoming.headers.get("X-SMSFactor-Signature", "")
        digest = hmac.new(secret.encode(), incoming.body, hashlib.sha256).hexdigest()
        if not (hmac.compare_digest(presented, secret) or hmac.compare_digest(presented, digest)):
            raise CallbackRefused("X-SMSFactor-Signature does not match")
        try:
            report = json.loads(incoming.body)
        except MALFORMED_PAYLOAD:
            report = None
        if not isinstance(report, dict):
            raise CallbackUnreadable("the body is not a JSON object")
        if callback == "dlr":
            try:
                message_id, status = int(report["message_id"]), int(report["status"])
            except MALFORMED_PAYLOAD:
                return CallbackAnswer(None)  # signed, but about none of our messages
            receipt = DeliveryReceipt(
                RECEIPTS.get(status), f"DLR status {status}", message_id=message_id
            )
            return CallbackAnswer(receipt)
        number = str(report.get("from", ""))
        return CallbackAnswer(StopReply(f"+{number}") if number.isdigit() else None)
