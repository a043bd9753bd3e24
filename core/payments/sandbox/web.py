"""The sandbox's hosted checkout page: what a provider's page would be, served locally.

The tester picks an outcome; the sandbox queues the signed webhook a provider would send (a
job, so it reaches Paylink's webhook endpoint over HTTP like any other) and sends the browser
back to the return URL, which, as with a real provider, proves nothing by itself.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from core.jobs import NewJob
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.money import Money
from core.page_texts import page_language, translate
from core.payments.sandbox import (
    CHECKOUT_LIFETIME_SECONDS,
    OUTCOMES,
    SAVED_CARD_LABEL,
    SandboxSession,
    sandbox_event,
)
from core.services.context import ServiceContext

JOB_DELIVER_WEBHOOK = "sandbox.deliver_webhook"


def _session(token: str) -> SandboxSession:
    signer = TokenSigner(current_app.config["SECRET_KEY"])
    try:
        data = signer.verify(TokenPurpose.SANDBOX_CHECKOUT, token, CHECKOUT_LIFETIME_SECONDS)
    except InvalidToken:
        abort(404)
    return SandboxSession(**data)


def create_sandbox_blueprint() -> Blueprint:
    sandbox = Blueprint("sandbox", __name__, url_prefix="/sandbox")

    @sandbox.get("/checkout/<token>")
    def checkout_page(token: str) -> Response:
        session = _session(token)
        language = page_language(request.args.get("lang"), session.locale)
        amount = Money(session.amount_minor, session.currency)
        locale = "fr_FR" if language == "fr" else "en_GB"
        response = Response(
            render_template(
                "sandbox/checkout.html",
                session=session,
                token=token,
                amount=amount.format(locale),
                lang=language,
                saved_card=SAVED_CARD_LABEL,
                t=lambda key, **values: translate(language, key, **values),
            ),
            mimetype="text/html",
        )
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'"
        )
        return response

    @sandbox.post("/checkout/<token>")
    def choose_outcome(token: str) -> Response:
        session = _session(token)
        outcome = request.form.get("outcome", "")
        if outcome not in OUTCOMES:
            abort(400, description="choose payment.succeeded, payment.pending or payment.failed")
        ctx: ServiceContext = current_app.extensions["paylink"]
        body = sandbox_event(session, outcome, ctx.clock())
        event_id = json.loads(body)["id"]
        with ctx.db.transaction() as db_session:
            ctx.enqueue(
                db_session,
                NewJob(
                    JOB_DELIVER_WEBHOOK,
                    {"account_id": session.account_id, "body": body.decode()},
                    f"sandbox-webhook:{event_id}",
                    ctx.clock(),
                ),
            )
        return redirect(session.return_url, code=303)

    return sandbox
