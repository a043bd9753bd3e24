"""Provider webhooks: `/webhooks/<provider>/<account id>`.

The signature is checked on the raw body, the event stored with the job that processes it, and
the answer sent at once: no outbound call happens inside the request. A bad signature is a 400
that says so; a good signature with a payload we cannot use is still stored (and fails in its
job, where the merchant sees it), because providers disable endpoints that keep failing.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from core.payments.provider import ProviderEnvironment
from core.services import checkout
from core.services.context import ServiceContext


def create_webhooks_blueprint() -> Blueprint:
    webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")

    @webhooks.post("/<provider>/<int:account_id>")
    def receive(provider: str, account_id: int) -> tuple[Response, int]:
        ctx: ServiceContext = current_app.extensions["paylink"]
        env: ProviderEnvironment = current_app.extensions["paylink.providers"]
        stored = checkout.receive_webhook(
            ctx, env, provider, account_id, request.get_data(), dict(request.headers)
        )
        return jsonify({"received": True, "duplicate": not stored}), 200

    return webhooks
