"""The signed-in person's own account: signing out and changing the password, both ending
sessions on the server (a copied cookie stops working at once)."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import NotFound, Unauthorized, ValidationError
from core.services import merchant_users
from core.web.console.auth import end_current_session, start_session
from core.web.console.forms import PasswordForm
from core.web.console.pages import form_locales, language, render, require_csrf, submitted
from core.web.console.texts import console_text, said
from core.web.current import services


@login_required
def logout() -> BaseResponse:
    require_csrf()
    end_current_session()
    return redirect(url_for("console.login"), code=303)


@login_required
def password() -> Response | BaseResponse:
    """Change the password (the current one required); every session of this person ends, and
    this browser gets a fresh one."""
    form = PasswordForm(meta=form_locales())
    error = None
    if current_user.embedded is None and submitted(form):
        try:
            merchant_users.change_password(
                services(), current_user.user_id, form.new.data or "", form.current.data or ""
            )
        except (Unauthorized, ValidationError) as refused:
            error = said(language(), refused)
        else:
            user = merchant_users.user_by_email(services(), current_user.email)
            start_session(user)
            flash(console_text(language(), "password_changed"))
            return redirect(url_for("console.invoice_list"), code=303)
    status = 422 if error or form.errors else 200
    return render("console/password.html", status=status, form=form, error=error)


@login_required
def switch_language() -> BaseResponse:
    require_csrf()
    if current_user.embedded:
        raise NotFound("inside a store's admin the console speaks the shop's language")
    other = "en" if current_user.locale == "fr" else "fr"
    merchant_users.set_locale(services(), current_user.user_id, other)
    return redirect(request.referrer or url_for("console.invoice_list"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/logout", logout, ["POST"]),
    ("/password", password, ["GET", "POST"]),
    ("/language", switch_language, ["POST"]),
]
