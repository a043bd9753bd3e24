"""The reminders page: the schedule of steps, the SMS sending hours and the abandoned-cart
delay, each its own form saved through the services."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse
from wtforms import Field

from core.errors import ValidationError
from core.services import carts, message_settings
from core.web.console.forms import (
    ActionForm,
    CartDelayForm,
    PolicyForm,
    SmsHoursForm,
)
from core.web.console.pages import form_locales, language, render, require_csrf, submitted
from core.web.console.texts import console_text, said
from core.web.current import services


@login_required
def reminders() -> Response | BaseResponse:
    ctx, merchant_id = services(), current_user.merchant_id
    policy = message_settings.reminder_policy(ctx, merchant_id)
    form = PolicyForm(meta=form_locales(), data={"steps": policy.to_json()})
    error = None
    if submitted(form):
        steps = [
            {
                key: entry.form[key].data
                for key in ("name", "anchor", "offset", "channel", "template")
            }
            for entry in form.steps
            if (entry.form.name.data or "").strip()
        ]
        try:
            message_settings.set_reminder_policy(ctx, merchant_id, steps)
        except ValidationError as refusal:
            error = said(language(), refusal)
        else:
            flash(console_text(language(), "saved"))
            return redirect(url_for("console.reminders"), code=303)
    return _reminders_page(form, error=error)


def _saved(field: Field, save: Callable[[], object]) -> BaseResponse | None:
    """Save through the service: back to the reminders page with "saved", or None with
    the service's refusal next to `field`."""
    try:
        save()
    except ValidationError as refusal:
        field.errors = [said(language(), refusal)]
        return None
    flash(console_text(language(), "saved"))
    return redirect(url_for("console.reminders"), code=303)


def _reminders_page(
    form: PolicyForm | None = None,
    error: str | None = None,
    delay_form: CartDelayForm | None = None,
    hours_form: SmsHoursForm | None = None,
) -> Response:
    """The schedule, the SMS hours and the abandoned-cart delay: each form as posted (with
    its errors) or as stored."""
    ctx, merchant_id = services(), current_user.merchant_id
    if form is None:
        policy = message_settings.reminder_policy(ctx, merchant_id)
        form = PolicyForm(meta=form_locales(), data={"steps": policy.to_json()})
    if delay_form is None:
        minutes = carts.cart_delay(ctx, merchant_id)
        delay_form = CartDelayForm(meta=form_locales(), data={"minutes": minutes})
    if hours_form is None:
        opens, closes = message_settings.sms_hours(ctx, merchant_id)
        hours_form = SmsHoursForm(meta=form_locales(), data={"opens": opens, "closes": closes})
    failed = error or form.errors or delay_form.errors or hours_form.errors
    return render(
        "console/reminders.html",
        status=422 if failed else 200,
        form=form,
        error=error,
        reset_form=ActionForm(),
        delay_form=delay_form,
        hours_form=hours_form,
    )


@login_required
def sms_hours() -> Response | BaseResponse:
    hours_form = SmsHoursForm(meta=form_locales())
    if submitted(hours_form):
        opens, closes = hours_form.opens.data or 0, hours_form.closes.data or 0
        merchant_id = current_user.merchant_id
        done = _saved(
            hours_form.closes,
            lambda: message_settings.set_sms_hours(services(), merchant_id, opens, closes),
        )
        if done:
            return done
    return _reminders_page(hours_form=hours_form)


@login_required
def cart_delay() -> Response | BaseResponse:
    delay_form = CartDelayForm(meta=form_locales())
    if submitted(delay_form):
        minutes, merchant_id = delay_form.minutes.data or 0, current_user.merchant_id
        done = _saved(
            delay_form.minutes,
            lambda: carts.set_cart_delay(services(), merchant_id, minutes),
        )
        if done:
            return done
    return _reminders_page(delay_form=delay_form)


@login_required
def reminders_reset() -> BaseResponse:
    require_csrf()
    message_settings.set_reminder_policy(services(), current_user.merchant_id, None)
    return redirect(url_for("console.reminders"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/reminders", reminders, ["GET", "POST"]),
    ("/reminders/sms-hours", sms_hours, ["POST"]),
    ("/reminders/cart-delay", cart_delay, ["POST"]),
    ("/reminders/reset", reminders_reset, ["POST"]),
]
