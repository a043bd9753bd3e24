"""What every console page shares: the user's language, rendering with the console's CSP, and
the posted-form check that turns a missing CSRF token into a 400 with its reason."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, abort, g, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from core.web.console.forms import ActionForm
from core.web.console.texts import console_text
from core.web.page_texts import translate


def language() -> str:
    if current_user.is_authenticated:
        return str(current_user.locale)
    chosen = request.args.get("lang") or request.accept_languages.best_match(["fr", "en"])
    return chosen if chosen in ("fr", "en") else "fr"


def render(template: str, status: int = 200, **context: Any) -> Response:
    """A console page with its CSP: scripts, styles and forms only from this origin."""
    g.csp_nonce = secrets.token_urlsafe(16)
    lang = language()
    body = render_template(
        template,
        t=lambda key, **values: console_text(lang, key, **values),
        status_label=lambda status: translate(lang, f"status.{status}"),
        lang=lang,
        user=current_user,
        logout_form=ActionForm(),
        nonce=g.csp_nonce,
        **context,
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; connect-src 'self'; "
        f"style-src 'self' 'nonce-{g.csp_nonce}'; img-src 'self' data: https:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def submitted(form: FlaskForm) -> bool:
    """Whether a valid form was posted; a missing or stale CSRF token is a 400 with the reason,
    whatever else the form holds."""
    if request.method != "POST":
        return False
    valid = bool(form.validate())
    if "csrf_token" in form.errors:
        abort(400, description=console_text(language(), "csrf"))
    return valid


def form_locales() -> dict[str, list[str]]:
    """WTForms' own catalogue for field messages, in the user's language."""
    return {"locales": [language(), "en"]}
