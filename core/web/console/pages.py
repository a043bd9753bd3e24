"""What every console page shares: the user's language, rendering with the console's CSP, and
the posted-form check that turns a missing CSRF token into a 400 with its reason."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Response, abort, current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.page_texts import translate
from core.storage.models import Merchant
from core.web.console.auth import embedded_user
from core.web.console.forms import ActionForm
from core.web.console.menu import console_menu
from core.web.console.texts import console_text, event_label
from core.web.current import services, settings

NOTICE_FIELD = "notice"


def language() -> str:
    if current_user.is_authenticated:
        return str(current_user.locale)
    chosen = request.args.get("lang") or request.accept_languages.best_match(["fr", "en"])
    return chosen if chosen in ("fr", "en") else "fr"


def _merchant_zone() -> ZoneInfo:
    """The signed-in merchant's time zone, read once per request."""
    if "merchant_zone" not in g:
        zone = "Europe/Paris"
        if current_user.is_authenticated:
            with services().db.transaction() as session:
                merchant = session.get(Merchant, current_user.merchant_id)
            zone = merchant.timezone if merchant else zone
        g.merchant_zone = ZoneInfo(zone)
    found: ZoneInfo = g.merchant_zone
    return found


def _babel_locale(language: str) -> str:
    return "fr_FR" if language == "fr" else "en_GB"


def local_time(moment: datetime, language: str) -> str:
    """A time as the merchant lives it: in their time zone, which is shown ("2 mars 2026,
    10:30 (Paris)"), in the user's language."""
    return str(
        format_datetime(
            moment, "d MMM y, HH:mm (VVV)", tzinfo=_merchant_zone(), locale=_babel_locale(language)
        )
    )


def local_day(moment: datetime, language: str) -> str:
    return str(format_date(moment.astimezone(_merchant_zone()), "d MMM y", _babel_locale(language)))


def signed_in_merchant() -> Merchant:
    """The signed-in user's merchant, read as it is now (detached: its columns stay loaded)."""
    with services().db.reading() as session:
        merchant = session.get(Merchant, current_user.merchant_id)
    assert merchant is not None
    return merchant


def platform_name(platform: str) -> str:
    """A store platform as people write it ("WooCommerce"), from its connector."""
    connector = current_app.extensions["paylink.connectors"].get(platform)
    return (connector.connect_form.platform_name if connector else "") or platform


def render(template: str, status: int = 200, **context: Any) -> Response:
    """A console page with its CSP: scripts, styles and forms only from this origin."""
    g.csp_nonce = secrets.token_urlsafe(16)
    lang = language()
    body = render_template(
        template,
        t=lambda key, **values: console_text(lang, key, **values),
        status_label=lambda status: translate(lang, f"status.{status}"),
        event_label=lambda kind: event_label(lang, kind),
        lang=lang,
        user=current_user,
        embedded=embedded_user(),
        notices=carried_notices(),
        logout_form=ActionForm(),
        menu=console_menu,
        platform_name=platform_name,
        form_failed=status == 422,
        nonce=g.csp_nonce,
        when=lambda moment: local_time(moment, lang),
        day=lambda moment: local_day(moment, lang),
        **context,
    )
    response = Response(body, status=status, mimetype="text/html")
    embedded = embedded_user()
    scripts = (
        " ".join(sorted({_origin(src) for src in embedded.scripts} - {""})) if embedded else ""
    )
    framing = " ".join(embedded.frame_ancestors) if embedded else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self' {scripts}".rstrip() + "; connect-src 'self'; "
        f"style-src 'self' 'nonce-{g.csp_nonce}'; img-src 'self' data: https:; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {framing}"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def carried_notices() -> list[str]:
    """The notices a redirect carried inside a store's admin frame (signed, a minute old at
    most: a crafted link cannot make the console say anything)."""
    token = request.args.get(NOTICE_FIELD)
    if not token or embedded_user() is None:
        return []
    try:
        notes = TokenSigner(settings().secret_key).verify(TokenPurpose.NOTICE, token, 60)
    except InvalidToken:
        return []
    return [str(note) for note in notes]


def _origin(url: str) -> str:
    """The origin of an absolute script URL (a platform's script), "" for one of ours."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def carry_embedded_sign_in(response: BaseResponse) -> BaseResponse:
    """Inside a platform's frame there is no session cookie: a redirect to one of our pages
    takes along the token this request was signed in with (valid a minute more) and the
    values the platform's scripts need."""
    embedded = embedded_user()
    location = response.headers.get("Location")
    if embedded is None or response.status_code not in (301, 302, 303, 307, 308) or not location:
        return response
    target = urlsplit(location)
    if target.netloc and target.netloc != request.host:
        return response
    query = dict(parse_qsl(target.query))
    query.update({**embedded.carry, embedded.token_field: embedded.token})
    # No cookie lives in the frame: a notice ("saved") travels signed in the redirect instead.
    flashed = session.pop("_flashes", None)
    if flashed:
        notes = [message for _, message in flashed]
        query[NOTICE_FIELD] = TokenSigner(settings().secret_key).sign(TokenPurpose.NOTICE, notes)
    response.headers["Location"] = urlunsplit(
        ("", "", target.path, urlencode(query), target.fragment)
    )
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


def require_csrf() -> None:
    """A button that changes something (send again, reset, sign out): its CSRF token checked,
    or a 400 with the reason."""
    submitted(ActionForm())


def form_locales() -> dict[str, list[str]]:
    """WTForms' own catalogue for field messages, in the user's language."""
    return {"locales": [language(), "en"]}
