"""The recurring invoices page: each schedule with its customer, amount, rhythm, next day and
how many were issued; pause, resume or cancel in one click (schedules are made through the API
or by the store's subscription app)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Response, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import PaylinkError
from core.money import Money
from core.services import recurring
from core.web.console.forms import ActionForm
from core.web.console.pages import language, render, require_csrf, signed_in_merchant
from core.web.console.texts import console_text, said
from core.web.current import services

#: What the merchant is told once each action is done.
DONE = {
    "pause": "recurring_paused",
    "resume": "recurring_resumed",
    "cancel": "recurring_cancelled",
    "stop_autopay": "recurring_autopay_stopped",
}


@login_required
def recurring_list() -> Response:
    locale = "fr_FR" if language() == "fr" else "en_GB"
    zone = ZoneInfo(signed_in_merchant().timezone)
    schedules = recurring.schedules_of(services(), current_user.merchant_id)

    def on_day(day: date | datetime | None) -> str:
        """A day (or a moment, on the merchant's calendar) in words."""
        if isinstance(day, datetime):
            day = day.astimezone(zone).date()
        return format_date(day, "long", locale=locale) if day else "—"

    return render(
        "console/recurring.html",
        schedules=schedules,
        action_form=ActionForm(),
        total=lambda s: Money(recurring.content_of(s).totals().total.minor, s.currency).format(
            locale
        ),
        on_day=on_day,
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
