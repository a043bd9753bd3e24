"""Where customers and SMS providers talk back: unsubscribe links (RFC 8058 one-click), Twilio's
delivery receipts and replies (X-Twilio-Signature), SMSFactor's DLR and STOP webhooks
(X-SMSFactor-Signature).

Nothing here calls out: a receipt updates a row, and a failed SMS's email fallback is a job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from twilio.request_validator import RequestValidator

from core.errors import MALFORMED_PAYLOAD
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.services import message_delivery, opt_outs
from core.services.invoicing import PHONE_INDEX
from core.services.messaging import MessagingEnvironment
from core.storage.models import Merchant, Message
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


def _verified_smsfactor_json() -> dict[str, Any]:
    """An SMSFactor webhook body, once `X-SMSFactor-Signature` matches the secret set on the
    webhook: the header carries the secret itself or, accepted too, the hex HMAC-SHA256 of the
    body under it (SMSFactor's page does not say which)."""
    secret = settings().smsfactor_webhook_secret
    if not secret:
        abort(404)
    raw = request.get_data()
    presented = request.headers.get("X-SMSFactor-Signature", "")
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not (hmac.compare_digest(presented, secret) or hmac.compare_digest(presented, digest)):
        abort(403, description="X-SMSFactor-Signature does not match")
    try:
        body = json.loads(raw)
    except ValueError:
        abort(400, description="the body is not JSON")
    if not isinstance(body, dict):
        abort(400, description="the body is not a JSON object")
    return body


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
        status = form.get("MessageStatus", "")
        message_delivery.record_receipt(
            services(),
            _messaging(),
            "twilio",
            Message.provider_message_id == form.get("MessageSid", ""),
            message_delivery.TWILIO_RECEIPTS.get(status),
            f"{status} (error {form.get('ErrorCode')})",
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

    @messages.post("/channels/smsfactor/dlr")
    def smsfactor_receipt() -> tuple[str, int]:
        report = _verified_smsfactor_json()
        try:
            message_id, status = int(report["message_id"]), int(report["status"])
        except MALFORMED_PAYLOAD:
            return "", 204  # signed, but not about one of our messages (no gsmsmsid)
        message_delivery.record_receipt(
            services(),
            _messaging(),
            "smsfactor",
            Message.id == message_id,
            message_delivery.SMSFACTOR_RECEIPTS.get(status),
            f"DLR status {status}",
        )
        return "", 204

    @messages.post("/channels/smsfactor/stop")
    def smsfactor_stop() -> tuple[str, int]:
        report = _verified_smsfactor_json()
        number = str(report.get("from", ""))
        if number.isdigit():
            ctx = services()
            index = ctx.keyring.blind_index(f"+{number}", PHONE_INDEX)
            opt_outs.stop_sms_everywhere(ctx, index, "sms_stop_reply")
        return "", 204

    return messages
