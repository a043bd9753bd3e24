"""The stores page: connected stores with their webhook health, each platform's connect form,
and the store payment methods whose unpaid orders get an invoice."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import ValidationError
from core.services import accounts
from core.web.console.pages import language, render, require_csrf
from core.web.console.texts import console_text, said
from core.web.current import services


def _stores_page(error: str | None = None) -> Response:
    """The merchant's stores, and each platform's connect form and default gateways."""
    connectors = sorted(current_app.extensions["paylink.connectors"].items())
    return render(
        "console/stores.html",
        status=422 if error else 200,
        error=error,
        stores=accounts.store_summaries(services(), current_user.merchant_id),
        default_gateways={name: connector.invoice_gateways for name, connector in connectors},
        installable=[(name, connector.connect_form) for name, connector in connectors],
    )


@login_required
def stores() -> Response:
    return _stores_page()


@login_required
def store_gateways(store_id: int) -> Response | BaseResponse:
    require_csrf()
    lines = (request.form.get("gateways") or "").splitlines()
    try:
        accounts.set_invoice_gateways(services(), current_user.merchant_id, store_id, lines)
    except ValidationError as refusal:
        return _stores_page(said(language(), refusal))
    flash(console_text(language(), "saved"))
    return redirect(url_for("console.stores"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/stores", stores, ["GET"]),
    ("/stores/<int:store_id>/gateways", store_gateways, ["POST"]),
]
