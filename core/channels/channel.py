"""The MessageChannel protocol and the values that cross it.

A channel sends one message and says under which id its provider knows it; it knows nothing of
invoices, templates or schedules (the services decide what to send and when).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from core.errors import PaylinkError
from core.reminders import Channel, MessageStatus


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    message_id: int
    medium: Channel  # SMS or EMAIL
    to: str  # E.164 phone or email address
    body: str  # the SMS text, or the email's plain text
    sender: str  # SMS sender id, or the email's display name
    marketing: bool = False
    subject: str | None = None
    html: str | None = None
    unsubscribe_url: str | None = None
    status_callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    provider_message_id: str
    status: MessageStatus  # SENT, or STORED for the outbox


class ChannelError(PaylinkError):
    """The channel could not send now (network, provider outage): the job retries."""

    http_status = 502
    code = "channel_error"


class ChannelRejected(PaylinkError):
    """The provider refused this message for good (invalid number, blocked recipient): no
    retry; an SMS falls back to email where the customer has an address."""

    http_status = 422
    code = "channel_rejected"


class MessageChannel(Protocol):
    name: ClassVar[str]
    media: ClassVar[frozenset[Channel]]

    def send(self, message: OutgoingMessage) -> SentMessage:
        """Hand one message to the provider (or the outbox) and return its id there."""
