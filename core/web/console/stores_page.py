"""The stores page: connected stores with their webhook health, each platform's connect form,
the store payment methods whose unpaid orders get an invoice, and the thank-you code early
payers get for their next order in the store."""

from __future__ import annotations

from babel.numbers import get_currency_symbol
from flask import Response, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.early_payer_reward import RewardKind, RewardOffer
from core.errors import ValidationError
from core.money import Money
from core.services import accounts, rewards
from core.storage.models import Merchant
from core.web.console.forms import RewardForm
from core.web.console.pages import (
    form_locales,
    language,
    render,
    require_csrf,
    signed_in_merchant,
    submitted,
)
from core.web.console.texts import console_text, said
from core.web.current import services


def _stores_page(error: str | None = None, reward_form: RewardForm | None = None) -> Response:
    """The merchant's stores, and each platform's connect form and default gateways."""
    connectors = sorted(current_app.extensions["paylink.connectors"].items())
    merchant = signed_in_merchant()
    return render(
        "console/stores.html",
        status=422 if error or (reward_form and reward_form.errors) else 200,
        error=error,
        reward_form=reward_form or _reward_form(merchant),
        currency=get_currency_symbol(
            merchant.currency, locale="fr_FR" if language() == "fr" else "en_GB"
        ),
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


def _worded(form: RewardForm) -> RewardForm:
    lang = language()
    form.kind.choices = [
        (k.value, console_text(lang, f"reward_kind.{k.value}")) for k in RewardKind
    ]
    return form


def _reward_form(merchant: Merchant) -> RewardForm:
    """The offer as it stands (the amount as the merchant types it), or its defaults."""
    offer = rewards.offer_of(merchant)
    if offer is None:
        return _worded(RewardForm(meta=form_locales()))
    value = str(offer.value)
    if offer.kind == RewardKind.AMOUNT:
        value = Money(offer.value, merchant.currency).to_major_string()
        value = value.replace(".", ",") if language() == "fr" else value
    return _worded(
        RewardForm(
            meta=form_locales(),
            data={
                "enabled": True,
                "window_hours": offer.window_hours,
                "kind": offer.kind.value,
                "value": value,
                "valid_days": offer.valid_days,
            },
        )
    )


@login_required
def save_reward() -> Response | BaseResponse:
    """Turn the thank-you code on (with its terms) or off."""
    form = _worded(RewardForm(meta=form_locales()))
    if not submitted(form):
        return _stores_page(reward_form=form)
    offer = None
    if form.enabled.data:
        kind = RewardKind(form.kind.data)
        typed = "".join((form.value.data or "").split()).replace(",", ".")
        try:
            value = (
                Money.parse(typed, signed_in_merchant().currency).minor
                if kind == RewardKind.AMOUNT
                else int(typed)
                if typed.isdigit()
                else -1
            )
            offer = RewardOffer(form.window_hours.data, kind, value, form.valid_days.data)
        except ValidationError as refusal:
            form.value.errors = [said(language(), refusal)]
            return _stores_page(reward_form=form)
    rewards.set_offer(services(), current_user.merchant_id, offer)
    flash(console_text(language(), "saved"))
    return redirect(url_for("console.stores"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/stores", stores, ["GET"]),
    ("/stores/<int:store_id>/gateways", store_gateways, ["POST"]),
    ("/stores/reward", save_reward, ["POST"]),
]
