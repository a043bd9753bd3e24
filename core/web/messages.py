"""Where customers and SMS providers talk back: unsubscribe links (RFC 8058 one-click), and
each channel's callbacks (`/channels/<channel>/<callback>`: delivery receipts, STOP replies),
verified and read by the channel's own package.

Nothing here calls out: a receipt updates a row, and a failed SMS's email fallback is a job.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from requests.structures import CaseInsensitiveDict

from core.channels.channel import IncomingCallback
from core.channels.registry import channel_factories
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.services import message_delivery, opt_outs
from core.services.messaging import MessagingEnvironment
from core.storage.models import Merchant
from core.web.current import services, settings


def _messaging() -> MessagingEnvironment:
    env: MessagingEnvironment = current_app.extensions["paylink.messaging"]
    return env


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

    @messages.post("/channels/<channel>/<callback>")
    def channel_callback(channel: str, callback: str) -> Response:
        """A provider calling back (receipts, replies): its channel package verifies and reads
        it; what it says is applied here. Nothing calls out: a failed SMS's email is a job."""
        factory = channel_factories().get(channel)
        if factory is None or callback not in factory.callbacks:
            abort(404)
        incoming = IncomingCallback(
            url=settings().base_url + request.full_path.rstrip("?"),
            headers=CaseInsensitiveDict(request.headers.items()),
            body=request.get_data(),
            form=request.form.to_dict() if request.mimetype.endswith("form-urlencoded") else {},
        )
        answer = factory.read_callback(settings(), callback, incoming)
        message_delivery.apply_callback(services(), _messaging(), factory.name, answer.said)
        return Response(answer.body, status=answer.status, mimetype=answer.mimetype)

    return messages
