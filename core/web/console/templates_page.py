"""Message templates in the console: one kind and language at a time, the SMS measured as the
merchant types (a preview endpoint renders it on the server with the same code that sends it,
so the counter and the bill agree), every part checked before it is saved, reset to default."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Response, current_app, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response as BaseResponse
from wtforms import ValidationError as CsrfInvalid

from core.errors import NotFound, ValidationError
from core.message_templates import LOCALES, Part
from core.reminders import MessageKind
from core.services import message_settings
from core.services.messaging import MessagingEnvironment
from core.sms import PRICE_CURRENCY
from core.web.console.auth import embedded_user
from core.web.console.forms import ActionForm, TemplatesForm
from core.web.console.pages import form_locales, language, render, require_csrf, submitted
from core.web.console.texts import console_text, said
from core.web.current import services
from core.web.errors import request_json

PARTS = (Part.SMS, Part.SUBJECT, Part.BODY)


def _segment_price() -> Decimal:
    messaging: MessagingEnvironment = current_app.extensions["paylink.messaging"]
    return messaging.sms_segment_price


def _measured(preview: message_settings.TemplatePreview) -> dict[str, Any]:
    """What the meter under the SMS shows, in the user's words: "1 segment", "2 segments",
    the price as their locale writes it ("0,05 €")."""
    sms, lang = preview.sms, language()
    if sms is None:
        return {"preview": preview.rendered}
    locale = "fr_FR" if lang == "fr" else "en_GB"
    return {
        "preview": preview.rendered,
        "units": sms.units,
        "segments": sms.segments,
        "segments_word": console_text(lang, "segment" if sms.segments == 1 else "segments_word"),
        "encoding": sms.encoding.value,
        "cost": format_currency(sms.cost(_segment_price()), PRICE_CURRENCY, locale=locale),
    }


def _chosen() -> tuple[str, str]:
    kind = request.values.get("kind", MessageKind.INVOICE.value)
    locale = request.values.get("locale", language())
    if kind not in {k.value for k in MessageKind} or locale not in LOCALES:
        return MessageKind.INVOICE.value, LOCALES[0]
    return kind, locale


@login_required
def templates() -> Response | BaseResponse:
    kind, locale = _chosen()
    ctx, merchant_id = services(), current_user.merchant_id
    current = {
        part: message_settings.template(ctx, merchant_id, kind, locale, part.value)
        for part in PARTS
    }
    form = TemplatesForm(
        meta=form_locales(), data={part.value: current[part].text for part in PARTS}
    )
    if submitted(form):
        for part in PARTS:
            try:
                message_settings.check_template_text(getattr(form, part.value).data)
            except ValidationError as error:
                getattr(form, part.value).errors = [said(language(), error)]
        if not form.errors:
            for part in PARTS:
                text = getattr(form, part.value).data
                if text != current[part].text:
                    message_settings.set_template(ctx, merchant_id, kind, locale, part.value, text)
            flash(console_text(language(), "saved"))
            return redirect(url_for("console.templates", kind=kind, locale=locale), code=303)
    sms = current[Part.SMS]
    return render(
        "console/templates.html",
        status=422 if form.errors else 200,
        form=form,
        reset_form=ActionForm(),
        kind=kind,
        locale=locale,
        kinds=[k.value for k in MessageKind],
        locales=LOCALES,
        custom=any(p.custom for p in current.values()),
        sms=_measured(sms),
    )


@login_required
def templates_reset() -> BaseResponse:
    require_csrf()
    kind, locale = _chosen()
    for part in PARTS:
        message_settings.set_template(
            services(), current_user.merchant_id, kind, locale, part.value, None
        )
    return redirect(url_for("console.templates", kind=kind, locale=locale), code=303)


@login_required
def templates_preview() -> tuple[Response, int]:
    """What the SMS being typed would be: rendered on the sample, measured and priced."""
    try:
        if embedded_user() is None:  # a platform's signed token is its own CSRF proof
            validate_csrf(request.headers.get("X-CSRFToken", ""))
    except (CsrfInvalid, CSRFError):
        return jsonify({"error": console_text(language(), "csrf")}), 400
    body = request_json()
    text = str(body.get("text", "")) if isinstance(body, dict) else ""
    locale = str(body.get("locale", "fr")) if isinstance(body, dict) else "fr"
    try:
        preview = message_settings.preview_sms(services(), current_user.merchant_id, text, locale)
    except (ValidationError, NotFound) as error:
        return jsonify({"error": said(language(), error)}), 422
    return jsonify(_measured(preview)), 200


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/templates", templates, ["GET", "POST"]),
    ("/templates/reset", templates_reset, ["POST"]),
    ("/templates/preview", templates_preview, ["POST"]),
]
