"""The outbox: messages are stored, not sent. The default for a first run, so Paylink works with
no SMS or email account, and the merchant sees exactly what customers would receive."""

from __future__ import annotations

from typing import ClassVar

from core.channels.channel import NoCallbacks, OutgoingMessage, SentMessage
from core.reminders import Channel, MessageStatus
from core.settings import Settings


class OutboxChannel(NoCallbacks):
    media: ClassVar[frozenset[Channel]] = frozenset({Channel.SMS, Channel.EMAIL})
    name: ClassVar[str] = "outbox"

    def __init__(self, settings: Settings | None = None) -> None:
        """Nothing to configure: the message row already holds everything that was "sent"."""

    def send(self, message: OutgoingMessage) -> SentMessage:
        return SentMessage(f"outbox-{message.message_id}", MessageStatus.STORED)
