"""The console's settings pages: branding (name, colour with a contrast warning and a preview,
logo upload) and the messages log."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse
from wtforms import Field

from core.branding import contrast_ratio, text_colour_on
from core.errors import NotFound, ValidationError
from core.services import accounts, carts, merchant_users, message_settings
from core.services.messaging import RECIPIENT
from core.storage.models import Merchant
from core.web.console.forms import (
    ActionForm,
    BrandingForm,
    CartDelayForm,
    PolicyForm,
    SmsHoursForm,
)
from core.web.console.logos import save_logo
from core.web.console.pages import form_locales, language, render, submitted
from core.web.console.texts import console_text, said
from core.web.current import services, settings

#: WCAG 2.1 AA: 4.5:1 for text (the page picks dark or white text, whichever reads better), and
#: 3:1 for controls against the page (1.4.11): a very light colour makes buttons fade on white.
TEXT_CONTRAST, CONTROL_CONTRAST = 4.5, 3.0


def _merchant() -> Merchant:
    with services().db.transaction() as session:
        merchant = session.get(Merchant, current_user.merchant_id)
    assert merchant is not None
    return merchant


def contrast_warnings(colour: str) -> list[str]:
    """What the merchant should know about a brand colour, in their language."""
    warnings = []
    text = text_colour_on(colour)
    if (ratio := contrast_ratio(colour, text)) < TEXT_CONTRAST:
        warnings.append(console_text(language(), "contrast_text", text=text, ratio=f"{ratio:.1f}"))
    if (ratio := contrast_ratio(colour, "#ffffff")) < CONTROL_CONTRAST:
        warnings.append(console_text(language(), "contrast_page", ratio=f"{ratio:.1f}"))
    return warnings


def add_settings_pages(console: Blueprint) -> None:
    @console.route("/branding", methods=["GET", "POST"])
    @login_required
    def branding() -> Response | BaseResponse:
        merchant = _merchant()
        form = BrandingForm(meta=form_locales(), obj=merchant)
        if submitted(form):
            try:
                accounts.update_branding(
                    services(), merchant.id, form.name.data, form.brand_color.data
                )
                upload = request.files.get("logo")
                if form.remove_logo.data:
                    accounts.set_logo(services(), merchant.id, None)
                elif upload and upload.filename:
                    name = save_logo(settings().data_dir, merchant.id, upload.read())
                    accounts.set_logo(
                        services(), merchant.id, f"{settings().base_url}/logos/{name}"
                    )
            except ValidationError as error:
                form.logo.errors = [said(language(), error)]
            else:
                flash(console_text(language(), "saved"))
                return redirect(url_for("console.branding"), code=303)
        return render(
            "console/branding.html",
            status=422 if form.errors else 200,
            form=form,
            merchant=merchant,
            preview_text=text_colour_on(merchant.brand_color),
            warnings=contrast_warnings(merchant.brand_color),
            max_upload=current_app.config["MAX_CONTENT_LENGTH"],
        )

    @console.route("/reminders", methods=["GET", "POST"])
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

    @console.post("/reminders/sms-hours")
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

    @console.post("/reminders/cart-delay")
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

    @console.post("/reminders/reset")
    @login_required
    def reminders_reset() -> BaseResponse:
        submitted(ActionForm())
        message_settings.set_reminder_policy(services(), current_user.merchant_id, None)
        return redirect(url_for("console.reminders"), code=303)

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

    @console.get("/stores")
    @login_required
    def stores() -> Response:
        return _stores_page()

    @console.post("/stores/<int:store_id>/gateways")
    @login_required
    def store_gateways(store_id: int) -> Response | BaseResponse:
        submitted(ActionForm())
        lines = (request.form.get("gateways") or "").splitlines()
        try:
            accounts.set_invoice_gateways(services(), current_user.merchant_id, store_id, lines)
        except ValidationError as refusal:
            return _stores_page(said(language(), refusal))
        flash(console_text(language(), "saved"))
        return redirect(url_for("console.stores"), code=303)

    @console.post("/language")
    @login_required
    def switch_language() -> BaseResponse:
        submitted(ActionForm())
        if current_user.embedded:
            raise NotFound("inside a store's admin the console speaks the shop's language")
        other = "en" if current_user.locale == "fr" else "fr"
        merchant_users.set_locale(services(), current_user.user_id, other)
        return redirect(request.referrer or url_for("console.invoice_list"), code=303)

    @console.get("/messages")
    @login_required
    def message_list() -> Response:
        ctx = services()
        log = message_settings.message_log(ctx, current_user.merchant_id, None, 100)
        return render(
            "console/messages.html",
            messages=log,
            recipient=lambda message: ctx.keyring.decrypt(message.recipient_ciphertext, RECIPIENT),
        )
