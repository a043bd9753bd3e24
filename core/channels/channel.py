"""The MessageChannel protocol and the values that cross it.

A channel sends one message and says under which id its provider knows it; it knows nothing of
invoices, templates or schedules (the services decide what to send and when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from core.errors import NotFound, PaylinkError
from core.reminders import Channel, MessageStatus
from core.settings import Settings


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
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file an email carries (the invoice's PDF)."""

    filename: str
    content_type: str  # "application/pdf"
    data: bytes = field(repr=False)


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


@dataclass(frozen=True, slots=True)
class IncomingCallback:
    """A provider calling one of its channel's callback URLs (`/channels/<name>/<callback>`):
    `url` as the provider called it, rebuilt from our base URL (a proxy may have changed the
    request's), the raw body, and the form when it is one."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """A provider's word on one message it took: found by the provider's id for it, or by ours
    where the provider echoes it; settled DELIVERED or FAILED, or no change (None)."""

    outcome: MessageStatus | None
    reason: str
    provider_message_id: str | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class StopReply:
    """A customer answered STOP (or the like) from this number, in E.164."""

    phone: str


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What a callback said (nothing to do: None) and the HTTP answer its provider expects."""

    said: DeliveryReceipt | StopReply | None
    body: str = ""
    mimetype: str = "text/plain"
    status: int = 204


class CallbackRefused(PaylinkError):
    """A callback whose signature does not match: nothing is applied."""

    http_status = 403
    code = "bad_signature"


class CallbackUnreadable(PaylinkError):
    """A signed callback whose body is not in the provider's documented shape."""

    http_status = 400
    code = "malformed_callback"


class NoCallbacks:
    """For channels whose provider calls nothing back (the outbox, SMTP)."""

    callbacks: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def read_callback(
        cls, settings: Settings, callback: str, incoming: IncomingCallback
    ) -> CallbackAnswer:
        raise NotFound("this channel has no callbacks")


class MessageChannel(Protocol):
    name: ClassVar[str]
    media: ClassVar[frozenset[Channel]]
    #: The callbacks the provider calls (`/channels/<name>/<callback>`): receipts, replies.
    callbacks: ClassVar[frozenset[str]]

    def send(self, message: OutgoingMessage) -> SentMessage:
        """Hand one message to the provider (or the outbox) and return its id there."""


class ChannelFactory(Protocol):
    """A channel class, as its entry point names it: built from the settings to send, and able
    to read its provider's callbacks without being the channel that sends (a late receipt
    after the operator switched providers still lands)."""

    name: str
    callbacks: frozenset[str]

    def __call__(self, settings: Settings) -> MessageChannel: ...

    def read_callback(
        self, settings: Settings, callback: str, incoming: IncomingCallback
    ) -> CallbackAnswer:
        """Verify one callback on its raw form and say what it means (pure: no database).
        Raises CallbackRefused for a bad signature, NotFound when the settings do not
        configure this provider's callbacks."""
