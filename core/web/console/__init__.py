"""The merchant console: sign-in, invoices (list, search, one invoice with its actions), the
messages log and branding. Server-rendered, no framework on the client, a strict CSP, every
form with a CSRF token, and another merchant's objects answering 404 like missing ones.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import PaylinkError, Unauthorized
from core.services import merchant_users
from core.web.console import (
    account,
    bank_page,
    billing_rules_page,
    branding_page,
    dashboard_page,
    experiments_page,
    invoice_export,
    invoices,
    messages_page,
    payment_methods,
    recurring_page,
    reminders_page,
    settings_page,
    stores_page,
    templates_page,
)
from core.web.console.auth import start_session
from core.web.console.forms import LoginForm
from core.web.console.pages import (
    carry_embedded_sign_in,
    form_locales,
    language,
    render,
    submitted,
)
from core.web.console.texts import console_text, said
from core.web.current import services
from core.web.rate_counts import RateCounts


def _safe_next() -> str | None:
    """Where to go after signing in (`?next=`, as login_required sends it): a path on this
    site only, never another origin (no open redirect)."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith(("//", "/\\")) and not parts.netloc:
        return target
    return None


#: One module per area of the console, each with its module-level views in a ROUTES table.
CONSOLE_AREAS = (
    account,
    invoices,
    branding_page,
    reminders_page,
    stores_page,
    messages_page,
    templates_page,
    payment_methods,
    bank_page,
    dashboard_page,
    invoice_export,
    experiments_page,
    recurring_page,
    billing_rules_page,
    settings_page,
)


def create_console_blueprint(sign_ins: RateCounts, address: Callable[[], str]) -> Blueprint:
    """The console; `sign_ins` limits the sign-in form's attempts per `address`."""
    console = Blueprint("console", __name__, url_prefix="/console")

    @console.route("/login", methods=["GET", "POST"])
    def login() -> Response | BaseResponse:
        form = LoginForm(meta=form_locales())
        error = None
        if request.method == "POST" and not sign_ins.spend(address()):
            # The form again, saying why and for how long, rather than a bare error page.
            wait = sign_ins.retry_after(address())
            message = console_text(language(), "too_many_attempts", minutes=-(-wait // 60))
            refused = render("console/login.html", status=429, form=form, error=message)
            refused.headers["Retry-After"] = str(wait)
            return refused
        if submitted(form):
            try:
                user = merchant_users.authenticate(
                    services(), form.email.data or "", form.password.data or ""
                )
            except Unauthorized:
                error = console_text(language(), "wrong_credentials")
            else:
                start_session(user)
                return redirect(_safe_next() or url_for("console.dashboard"), code=303)
        status = 401 if error else (422 if form.errors else 200)
        return render("console/login.html", status=status, form=form, error=error)

    @console.get("/")
    @login_required
    def home() -> BaseResponse:
        return redirect(url_for("console.dashboard"), code=303)

    console.after_request(carry_embedded_sign_in)
    for area in CONSOLE_AREAS:
        for rule, view, methods in area.ROUTES:
            console.add_url_rule(rule, view_func=view, methods=methods)

    @console.errorhandler(PaylinkError)
    def _domain_error(error: PaylinkError) -> Response:
        return render(
            "console/message.html", status=error.http_status, message=said(language(), error)
        )

    return console
