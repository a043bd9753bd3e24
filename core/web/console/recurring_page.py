"""The recurring invoices page: each schedule with its customer, amount, rhythm, next day and
how many were issued; pause, resume or cancel in one click (schedules are made through the API
or by the store's subscription app)."""

from __future__ import annotations

from babel.dates import format_date
from flask import Response, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import PaylinkError
from core.money import Money
from core.services import recurring
from core.web.console.forms import ActionForm
from core.web.console.pages import language, render, require_csrf
from core.web.console.texts import console_text, said
from core.web.current import services

#: What the merchant is told once each action is done.
DONE = {
    "pause": "recurring_paused",
    "resume": "recurring_resumed",
    "cancel": "recurring_cancelled",
}


@login_required
def recurring_list() -> Response:
    locale = "fr_FR" if language() == "fr" else "en_GB"
    schedules = recurring.schedules_of(services(), current_user.merchant_id)
    return render(
        "console/recurring.html",
        schedules=schedules,
        action_form=ActionForm(),
        total=lambda s: Money(recurring.content_of(s).totals().total.minor, s.currency).format(
            locale
        ),
        on_day=lambda d: format_date(d, "long", locale=locale) if d else "—",
    )


@login_required
def recurring_action(schedule_id: int, action: str) -> BaseResponse:
    require_csrf()
    if action not in recurring.ACTIONS:
        return redirect(url_for("console.recurring_list"), code=303)
    try:
        recurring.ACTIONS[action](services(), current_user.merchant_id, schedule_id)
    except PaylinkError as refusal:
        flash(said(language(), refusal))
    else:
        flash(console_text(language(), DONE[action]))
    return redirect(url_for("console.recurring_list"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/recurring", recurring_list, ["GET"]),
    ("/recurring/<int:schedule_id>/<action>", recurring_action, ["POST"]),
]
