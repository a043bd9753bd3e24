"""Email through a real SMTP server (aiosmtpd on loopback), parsed back as a mail client would."""

from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from core.channels.channel import OutgoingMessage
from core.channels.email_layout import EmailBranding, html_email
from core.channels.smtp import SmtpChannel
from core.errors import ConfigurationError
from core.reminders import Channel
from core.settings import Settings
from tests.support.live_server import free_port


class Mailbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"paylink" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield mailbox, port
    controller.stop()


def settings_for(port, user="paylink:s3cret@") -> Settings:
    return Settings(
        database_url="sqlite://",
        data_dir=None,
        secret_key="s",
        encryption_keys="k1:" + "A" * 43,
        email_channel="smtp",
        smtp_url=f"smtp://{user}127.0.0.1:{port}?tls=none",
        email_from="Paylink <factures@boutique-lune.fr>",
    )


def outgoing(marketing=False) -> OutgoingMessage:
    text = (
        "Bonjour Marie,\n\nVotre facture de 75,50 € <b>est prête</b> :\n\n"
        "https://pay.example/i/Ab3dE5fG7h12\n\nBoutique Lune"
    )
    branding = EmailBranding("Boutique Lune", "#f5d90a", None, "fr")
    unsubscribe = "https://pay.example/u/token" if marketing else None
    return OutgoingMessage(
        42,
        Channel.EMAIL,
        "marie@example.fr",
        text,
        "Boutique Lune",
        marketing=marketing,
        subject="Votre facture Boutique Lune de 75,50 €",
        html=html_email(
            "Votre facture", text, "https://pay.example/i/Ab3dE5fG7h12", branding, unsubscribe
        ),
        unsubscribe_url=unsubscribe,
    )


def test_a_multipart_email_arrives_as_sent(smtp_server):
    mailbox, port = smtp_server
    sent = SmtpChannel(settings_for(port)).send(outgoing())
    (envelope,) = mailbox.received
    assert envelope.mail_from == "factures@boutique-lune.fr"
    assert envelope.rcpt_tos == ["marie@example.fr"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "Votre facture Boutique Lune de 75,50 €"
    assert mail["From"] == "Boutique Lune <factures@boutique-lune.fr>"
    assert mail["Message-ID"] == sent.provider_message_id and sent.status == "sent"
    assert "List-Unsubscribe" not in mail  # transactional
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "75,50 €" in text and "https://pay.example/i/Ab3dE5fG7h12" in text
    assert "&lt;b&gt;est prête&lt;/b&gt;" in html  # the merchant's text is escaped, never HTML
    assert 'href="https://pay.example/i/Ab3dE5fG7h12"' in html and "Payer maintenant" in html
    assert "<style" not in html and 'style="' in html  # inlined for mail clients
    assert "color: #000" in html or "color: #1b1f24" in html  # dark text on a light brand


def test_marketing_email_carries_one_click_unsubscribe(smtp_server):
    mailbox, port = smtp_server
    SmtpChannel(settings_for(port)).send(outgoing(marketing=True))
    mail = message_from_bytes(mailbox.received[0].content, policy=policy.default)
    assert mail["List-Unsubscribe"] == "<https://pay.example/u/token>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://pay.example/u/token" in mail.get_body(("html",)).get_content()


def test_a_refused_recipient_is_final_and_an_absent_server_is_retried(smtp_server):
    from core.channels.channel import ChannelError, ChannelRejected

    mailbox, port = smtp_server

    async def refuse(server, session, envelope, address, options):
        return "550 5.1.1 mailbox unavailable"

    mailbox.handle_RCPT = refuse
    with pytest.raises(ChannelRejected, match="refused marie"):
        SmtpChannel(settings_for(port)).send(outgoing())
    with pytest.raises(ChannelError, match="mail server"):
        SmtpChannel(settings_for(free_port())).send(outgoing())


def test_smtp_settings_are_checked_at_start():
    base = settings_for(25)
    with pytest.raises(ConfigurationError, match="PAYLINK_SMTP_URL"):
        SmtpChannel(replace(base, smtp_url=None))
    with pytest.raises(ConfigurationError, match="smtp://"):
        SmtpChannel(replace(base, smtp_url="http://mail.example"))
    with pytest.raises(ConfigurationError, match="PAYLINK_EMAIL_FROM"):
        SmtpChannel(replace(base, email_from="nobody"))


def test_the_email_footer_says_who_the_merchant_is(ctx):
    from core.services.legal_details import LegalDetails, set_legal_details
    from core.services.message_delivery import merchant_identity
    from tests.support.factories import merchant

    shop = merchant(ctx)
    assert merchant_identity(shop) == ()  # nothing entered: no footer rather than a bare name
    details = LegalDetails("Lune SARL", "552 100 554", None, "12 quai Rambaud", "69002", "Lyon")
    identity = merchant_identity(set_legal_details(ctx, shop.id, details))
    assert identity == ("Lune SARL", "12 quai Rambaud", "69002 Lyon", "SIREN 552100554")
    branding = EmailBranding("Boutique Lune", "#1f6feb", None, "fr", identity)
    html = html_email("Votre facture", "Bonjour", "https://pay.example/i/x", branding, None)
    assert "Lune SARL · 12 quai Rambaud · 69002 Lyon · SIREN 552100554" in html


def test_an_invoice_email_carries_its_pdf_when_the_merchant_wants_it(ctx, clock, smtp_server):
    """The invoice email, through the SMTP server, with the invoice's PDF (made by the worker
    before the email's delivery job runs) attached; without the setting, no attachment."""
    from core.events import CustomerDetails
    from core.jobs import JobQueue, Worker
    from core.services import invoice_creation
    from core.services.job_handlers import core_handlers
    from core.services.legal_details import LegalDetails, set_legal_details
    from core.services.messaging import MessagingEnvironment
    from tests.support.factories import merchant, order, provider_env

    mailbox, port = smtp_server
    messaging = MessagingEnvironment(
        {Channel.EMAIL: SmtpChannel(settings_for(port))}, "https://pay.example", "s"
    )
    handlers = core_handlers(ctx, provider_env(ctx), messaging)
    shop = merchant(ctx)
    email_only = CustomerDetails("Marie Curie", "marie@example.fr", None, "fr")
    for attach, reference in ((False, "plain"), (True, "with-pdf")):
        set_legal_details(ctx, shop.id, LegalDetails("Lune SARL", attach_documents=attach))
        invoice_creation.create_invoice(ctx, shop.id, order(reference, customer=email_only))
        Worker(JobQueue(ctx.db, clock), handlers).run(until_idle=True)
    plain, with_pdf = (
        message_from_bytes(m.content, policy=policy.default) for m in mailbox.received
    )
    assert not list(plain.iter_attachments())
    [pdf] = list(with_pdf.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "F-2026-000002.pdf" and pdf.get_content().startswith(b"%PDF-")
    assert with_pdf.get_body(("html",)) is not None  # the text and HTML parts are still there
