"""SMS through SMSFactor (French aggregator): `GET /send` with a bearer token, the number in
international form without "+", `pushtype` alert (transactional) or marketing, and our message
id as `gsmsmsid`, which its delivery reports echo."""

from __future__ import annotations

from typing import ClassVar

from core.channels.channel import ChannelError, ChannelRejected, OutgoingMessage, SentMessage
from core.errors import ConfigurationError
from core.http import http_session, send_json
from core.payments.provider import ProviderError
from core.reminders import Channel, MessageStatus
from core.settings import Settings

DEFAULT_API_BASE = "https://api.smsfactor.com"


class SmsFactorChannel:
    media: ClassVar[frozenset[Channel]] = frozenset({Channel.SMS})
    name: ClassVar[str] = "smsfactor"

    def __init__(self, settings: Settings) -> None:
        if not settings.smsfactor_token:
            raise ConfigurationError("PAYLINK_SMS_CHANNEL=smsfactor needs PAYLINK_SMSFACTOR_TOKEN")
        self.base_url = settings.provider_api_bases.get("smsfactor", DEFAULT_API_BASE)
        self.headers = {
            "Authorization": f"Bearer {settings.smsfactor_token}",
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
        except ProviderError as error:
            raise ChannelError(error.message) from None
        if status >= 500 or status == 429:
            raise ChannelError(f"SMSFactor is unavailable ({status})")
        if body.get("status") != 1 or int(body.get("sent", 0)) < 1:
            reason = body.get("message") or body.get("details") or f"HTTP {status}"
            if int(body.get("invalid", 0)) or int(body.get("blacklisted", 0)):
                raise ChannelRejected(f"SMSFactor refused {message.to}: {reason}")
            raise ChannelError(f"SMSFactor did not send the message: {reason}")
        return SentMessage(str(body.get("ticket") or message.message_id), MessageStatus.SENT)
