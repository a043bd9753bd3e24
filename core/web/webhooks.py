"""Provider webhooks: `/webhooks/<provider>/<account id>`.

The signature is checked on the raw body, the event stored with the job that processes it, and
the answer sent at once: no outbound call happens inside the request. A body larger than its
provider ever sends is refused unread, and deliveries are rate-limited per account and per
address (see `core.web.create_app`). A bad signature is a 400
that says so; a good signature with a payload we cannot use is still stored (and fails in its
job, where the merchant sees it), because providers disable endpoints that keep failing.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from requests.structures import CaseInsensitiveDict

from core.errors import NotFound
from core.payments.registry import provider_factories
from core.services import provider_events
from core.web.current import providers, services


def create_webhooks_blueprint() -> Blueprint:
    webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")

    @webhooks.post("/<provider>/<int:account_id>")
    def receive(provider: str, account_id: int) -> tuple[Response, int]:
        factory = provider_factories().get(provider)
        if factory is None or not factory.receives_webhooks:
            raise NotFound("no such webhook endpoint")
        # Read no more than this provider ever sends: 413 past it, before anything is stored.
        request.max_content_length = factory.max_body_bytes
        stored = provider_events.receive_webhook(
            services(),
            providers(),
            provider,
            account_id,
            request.get_data(),
            CaseInsensitiveDict(request.headers.items()),
        )
        return jsonify({"received": True, "duplicate": not stored}), 200

    return webhooks
