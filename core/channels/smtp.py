"""Email through any SMTP relay: `smtp://user:pass@host:587` (STARTTLS) or `smtps://...:465`
(TLS from the first byte); `smtp://host:25?tls=none` only for a relay on the same machine.

Multipart plain text + HTML, a Message-ID we choose (it is the provider id), and on marketing
messages List-Unsubscribe with an https one-click URL (RFC 2369 / RFC 8058).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from core.channels.channel import (
    ChannelError,
    ChannelRejected,
    NoCallbacks,
    OutgoingMessage,
    SentMessage,
)
from core.errors import ConfigurationError
from core.reminders import Channel, MessageStatus
from core.settings import Settings

TIMEOUT_SECONDS = 20


class SmtpChannel(NoCallbacks):
    media: ClassVar[frozenset[Channel]] = frozenset({Channel.EMAIL})
    name: ClassVar[str] = "smtp"

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_url:
            raise ConfigurationError("PAYLINK_EMAIL_CHANNEL=smtp needs PAYLINK_SMTP_URL")
        url = urlsplit(settings.smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ConfigurationError("PAYLINK_SMTP_URL is smtp://user:pass@host:587 or smtps://")
        self.host = url.hostname
        self.implicit_tls = url.scheme == "smtps"
        self.port = url.port or (465 if self.implicit_tls else 587)
        self.starttls = not self.implicit_tls and parse_qs(url.query).get("tls") != ["none"]
        self.username = unquote(url.username) if url.username else None
        self.password = unquote(url.password) if url.password else None
        self.from_name, self.from_address = parseaddr(settings.email_from)
        if "@" not in self.from_address:
            raise ConfigurationError("PAYLINK_EMAIL_FROM needs an address: Name <me@example.com>")

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = formataddr((message.sender or self.from_name, self.from_address))
        email["To"] = message.to
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = make_msgid(f"m{message.message_id}", self.from_address.split("@")[1])
        if message.marketing and message.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        for attachment in message.attachments:
            maintype, subtype = attachment.content_type.split("/", 1)
            email.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return email

    def send(self, message: OutgoingMessage) -> SentMessage:
        email = self.compose(message)
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP = (
                smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=context)
                if self.implicit_tls
                else smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
            )
            with client:
                if self.starttls:
                    client.starttls(context=context)
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as refused:
            raise ChannelRejected(f"the mail server refused {message.to}: {refused}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise ChannelError(f"the mail server could not take the message: {error}") from None
        return SentMessage(str(email["Message-ID"]), MessageStatus.SENT)
