"""The messages log: what went to customers, through which channel, and what became of it."""

from __future__ import annotations

from flask import Response
from flask_login import current_user, login_required

from core.services import message_settings
from core.services.messaging import RECIPIENT
from core.web.console.pages import render
from core.web.current import services


@login_required
def message_list() -> Response:
    ctx = services()
    log = message_settings.message_log(ctx, current_user.merchant_id, None, 100)
    return render(
        "console/messages.html",
        messages=log,
        recipient=lambda message: ctx.keyring.decrypt(message.recipient_ciphertext, RECIPIENT),
    )


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/messages", message_list, ["GET"]),
]
