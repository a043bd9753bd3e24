"""Flask-Limiter is asked only by the console's sign-in, the one limit left to it: the API, the
provider webhooks, a payment page or a store's delivery never pay for its per-request
resolution (the hot paths count on its storage themselves, `core.web.rate_counts`)."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

from core.web.rate_limits import LIMITED_BLUEPRINTS


def test_only_limited_blueprints_ask_the_limiter(app, client, auth, invoice, monkeypatch):
    asked = []
    original = Limiter._check_request_limit

    def recording(self, *args, **kwargs):
        asked.append(request.blueprint)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", recording)
    client.get(f"/i/{invoice.link_code}")
    client.post("/connectors/shopify/webhooks", data=b"{}")
    client.get("/healthz")
    client.get("/api/v1/invoices", headers=auth)
    client.post("/webhooks/sandbox/1", data=b"{}")
    assert asked == []
    client.get("/console/login")
    assert list(dict.fromkeys(asked)) == ["console"]


def test_every_limit_is_on_a_blueprint_the_hook_asks_about(app):
    """A limit put on another blueprint later would silently never apply: this says so."""
    (limiter,) = app.extensions["limiter"]
    manager = limiter.limit_manager
    views = {get_qualified_name(view): endpoint for endpoint, view in app.view_functions.items()}
    on_routes = {views[route].split(".")[0] for route in manager._decorated_limits}
    assert set(manager._blueprint_limits) | on_routes <= LIMITED_BLUEPRINTS
    assert on_routes == {"console"}  # the sign-in
