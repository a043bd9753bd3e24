"""The messages log: what went to customers, through which channel, and what became of it."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from flask import Response
from flask_login import current_user, login_required

from core.services import message_settings
from core.services.invoice_queries import held_messages
from core.services.messaging import RECIPIENT
from core.sms import PRICE_CURRENCY
from core.web.console.pages import language, render
from core.web.console.texts import step_label
from core.web.current import services


@login_required
def message_list() -> Response:
    ctx = services()
    log = message_settings.message_log(ctx, current_user.merchant_id, None, 100)
    locale = "fr_FR" if language() == "fr" else "en_GB"
    return render(
        "console/messages.html",
        messages=log,
        held=held_messages(ctx, current_user.merchant_id),
        step=lambda name: step_label(language(), name),
        recipient=lambda message: ctx.keyring.decrypt(message.recipient_ciphertext, RECIPIENT),
        provider_label=lambda name: PROVIDER_NAMES.get(name, name),
        cost=lambda micros: format_currency(
            Decimal(micros) / 1_000_000, PRICE_CURRENCY, locale=locale, currency_digits=False
        ),
    )


#: The SMS and email services as their own brands write them.
PROVIDER_NAMES = {"twilio": "Twilio", "smsfactor": "SMSFactor", "smtp": "SMTP"}


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/messages", message_list, ["GET"]),
]
