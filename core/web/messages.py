"""Where customers and SMS providers talk back: unsubscribe links (RFC 8058 one-click), and
Twilio's delivery receipts and inbound replies (STOP), each verified by X-Twilio-Signature.

Nothing here calls out: a receipt updates a row, and a failed SMS's email fallback is a job.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from twilio.request_validator import RequestValidator

from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.services import message_delivery, opt_outs
from core.services.invoicing import PHONE_INDEX
from core.services.messaging import MessagingEnvironment
from core.storage.models import Merchant
from core.web.current import services, settings

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _messaging() -> MessagingEnvironment:
    env: MessagingEnvironment = current_app.extensions["paylink.messaging"]
    return env


def _verified_twilio_form() -> dict[str, str]:
    """The form of a Twilio callback whose signature checks against the URL Twilio called
    (rebuilt from our base URL, not the request's, which a proxy may have changed)."""
    token = settings().twilio_auth_token
    if not token:
        abort(404)
    url = settings().base_url + request.full_path.rstrip("?")
    form = request.form.to_dict()
    if not RequestValidator(token).validate(
        url, form, request.headers.get("X-Twilio-Signature", "")
    ):
        abort(403, description="X-Twilio-Signature does not match")
    return form


def create_messages_blueprint() -> Blueprint:
    messages = Blueprint("messages", __name__)

    @messages.route("/u/<token>", methods=["GET", "POST"])
    def unsubscribe(token: str) -> Response:
        secret = settings().secret_key
        try:
            payload = TokenSigner(secret).verify(
                TokenPurpose.UNSUBSCRIBE, token, opt_outs.UNSUBSCRIBE_MAX_AGE
            )
        except InvalidToken as error:
            abort(404, description=error.message)
        with services().db.transaction() as session:
            merchant = session.get(Merchant, int(payload["m"]))
        if merchant is None:
            abort(404)
        if request.method == "POST":
            opt_outs.unsubscribe(services(), secret, token)
        body = render_template(
            "unsubscribe.html", merchant=merchant.name, done=request.method == "POST"
        )
        response = Response(body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        return response

    @messages.post("/channels/twilio/status")
    def twilio_status() -> tuple[str, int]:
        form = _verified_twilio_form()
        message_delivery.record_receipt(
            services(),
            _messaging(),
            "twilio",
            form.get("MessageSid", ""),
            form.get("MessageStatus", ""),
            form.get("ErrorCode"),
        )
        return "", 204

    @messages.post("/channels/twilio/inbound")
    def twilio_inbound() -> Response:
        form = _verified_twilio_form()
        sender = form.get("From", "")
        if sender.startswith("+") and opt_outs.is_stop_reply(form.get("Body", "")):
            ctx = services()
            opt_outs.stop_sms_everywhere(
                ctx, ctx.keyring.blind_index(sender, PHONE_INDEX), "sms_stop_reply"
            )
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return messages
