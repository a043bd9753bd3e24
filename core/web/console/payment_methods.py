"""Payment methods in the console: each installed provider with its settings (secrets never
shown back, an empty secret field keeps the stored one), on or off, and a connection test that
makes one real call to the provider."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import PaylinkError
from core.payments.registry import provider_factories
from core.services import payment_accounts
from core.web.console.forms import ActionForm
from core.web.console.pages import language, render, require_csrf
from core.web.console.texts import console_text, said
from core.web.current import providers, services


def _page(status: int = 200, failed: str | None = None, error: str | None = None) -> Response:
    return render(
        "console/payments.html",
        status=status,
        accounts=payment_accounts.account_overview(services(), current_user.merchant_id),
        form=ActionForm(),
        failed=failed,
        error=error,
    )


@login_required
def payment_methods() -> Response:
    return _page()


@login_required
def payment_method_save(provider: str) -> Response | BaseResponse:
    if provider not in provider_factories():
        abort(404)
    require_csrf()
    fields = {key: value for key, value in request.form.items() if key != "csrf_token"}
    asked = request.form.get("enabled") == "on"
    try:
        account = payment_accounts.update_account(
            services(), providers(), current_user.merchant_id, provider, fields, enabled=asked
        )
    except PaylinkError as refusal:
        return _page(422, provider, said(language(), refusal))
    flash(
        console_text(language(), "saved_test_first" if asked and not account.enabled else "saved")
    )
    return redirect(url_for("console.payment_methods") + f"#{provider}", code=303)


@login_required
def payment_method_test(provider: str) -> Response | BaseResponse:
    if provider not in provider_factories():
        abort(404)
    require_csrf()
    try:
        payment_accounts.check_connection(
            services(), providers(), current_user.merchant_id, provider
        )
    except PaylinkError as refusal:
        return _page(502, provider, said(language(), refusal))
    label = console_text(language(), f"provider.{provider}")
    flash(console_text(language(), "connection_ok", provider=label))
    return redirect(url_for("console.payment_methods") + f"#{provider}", code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/payments", payment_methods, ["GET"]),
    ("/payments/<provider>", payment_method_save, ["POST"]),
    ("/payments/<provider>/test", payment_method_test, ["POST"]),
]
