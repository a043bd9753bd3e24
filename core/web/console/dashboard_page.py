"""The console's home page: the period's results with their change against the period before,
the funnel and the money collected as charts with their tables, what each reminder step
recovered, and the customers' satisfaction."""

from __future__ import annotations

import csv
import io

from babel.dates import format_date
from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import ValidationError
from core.kpis import Kpis
from core.money import Money
from core.page_texts import TEXTS as PAGE_TEXTS
from core.page_texts import translate
from core.services import acquisition, survey
from core.services import dashboard as figures
from core.services.after_payment import SurveyMode
from core.storage.models import Merchant
from core.web.console.charts import bar_chart
from core.web.console.formats import Formats, babel_locale
from core.web.console.forms import SpendForm, SurveyForm
from core.web.console.pages import form_locales, language, render, submitted
from core.web.console.texts import TEXTS, console_text, said, step_label
from core.web.current import services


def _board() -> figures.Dashboard:
    merchant_id = current_user.merchant_id
    today, _, _ = figures.merchant_today(services(), merchant_id)
    period = figures.chosen_period(
        today, request.args.get("days"), request.args.get("from"), request.args.get("to")
    )
    return figures.dashboard(services(), merchant_id, period)


def _funnel(k: Kpis) -> list[tuple[str, int]]:
    """Sent, opened, payment started, paid: where customers drop out."""
    lang = language()
    return [
        (console_text(lang, "kpi.sent"), k.sent),
        (console_text(lang, "kpi.viewed"), k.viewed),
        (console_text(lang, "kpi.started"), k.started),
        (console_text(lang, "kpi.paid"), k.paid),
    ]


def _steps(k: Kpis) -> list[tuple[str, int]]:
    """What each message recovered: paid invoices by the last message they got before."""
    lang = language()
    ranked = sorted(k.paid_after_step.items(), key=lambda item: (-item[1], item[0]))
    return [
        (console_text(lang, "kpi.no_message") if step == "none" else step_label(lang, step), n)
        for step, n in ranked
    ]


def method_label(method: str) -> str:
    """A payment method in words: the console's name for it, else the payment page's."""
    lang = language()
    key = f"method.{method}"
    if key in TEXTS[lang]:
        return console_text(lang, key)
    if key in PAGE_TEXTS[lang]:
        return translate(lang, key)
    return console_text(lang, "method.other")


def rate_of(pair: tuple[int, int]) -> float | None:
    return pair[1] / pair[0] if pair[0] else None


@login_required
def dashboard() -> Response:
    try:
        board = _board()
    except ValidationError as refusal:
        return render("console/message.html", status=422, message=said(language(), refusal))
    return render(
        "console/dashboard.html",
        board=board,
        fmt=Formats(board.currency),
        funnel=_funnel(board.current),
        steps=_steps(board.current),
        query=request.query_string.decode(),
        survey_form=_survey_form(),
        method_label=method_label,
        rate_of=rate_of,
        chosen_days=request.args.get("days", "" if request.args.get("from") else "30"),
        spend_form=SpendForm(meta=form_locales(), data={"month": board.period.end}),
        spend_entries=acquisition.spend_entries(services(), current_user.merchant_id, board.period),
        month_label=lambda month: format_date(month, "LLLL y", locale=babel_locale()),
    )


def _survey_form(form: SurveyForm | None = None) -> SurveyForm:
    if form is not None:
        return form
    with services().db.reading() as session:
        merchant = session.get(Merchant, current_user.merchant_id)
        assert merchant is not None
        data = {"mode": merchant.survey_mode, "delay_hours": merchant.survey_delay_hours}
    form = SurveyForm(meta=form_locales(), data=data)
    form.mode.choices = [
        (mode.value, console_text(language(), f"survey_mode.{mode.value}")) for mode in SurveyMode
    ]
    return form


@login_required
def save_survey() -> BaseResponse:
    form = SurveyForm(meta=form_locales())
    form.mode.choices = [(mode.value, mode.value) for mode in SurveyMode]
    if submitted(form):
        try:
            survey.set_survey_mode(
                services(), current_user.merchant_id, form.mode.data, form.delay_hours.data or 0
            )
        except ValidationError as refusal:
            flash(said(language(), refusal))
        else:
            flash(console_text(language(), "saved"))
    return redirect(url_for("console.dashboard"), code=303)


@login_required
def save_spend() -> BaseResponse:
    """A month's spend on a channel, typed as people type amounts ("1 250,50")."""
    form = SpendForm(meta=form_locales())
    if not submitted(form):
        flash(console_text(language(), "spend_invalid"))
        return redirect(url_for("console.dashboard"), code=303)
    _, _, currency = figures.merchant_today(services(), current_user.merchant_id)
    typed = "".join(form.amount.data.split()).replace("\u202f", "").replace(",", ".")
    try:
        acquisition.set_spend(
            services(),
            current_user.merchant_id,
            form.month.data,
            form.channel.data,
            Money.parse(typed, currency).minor,
            current_user.email,
        )
    except ValidationError as refusal:
        flash(said(language(), refusal))
    else:
        flash(console_text(language(), "saved"))
    return redirect(url_for("console.dashboard"), code=303)


def _svg(body: str) -> Response:
    response = Response(body, mimetype="image/svg+xml")
    # Shown as an image: no script of the chart's runs, and it fetches nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _brand() -> str:
    with services().db.reading() as session:
        merchant = session.get(Merchant, current_user.merchant_id)
        return merchant.brand_color if merchant else "#1f6feb"


@login_required
def funnel_chart() -> Response:
    board = _board()
    rows = _funnel(board.current)
    title = console_text(language(), "chart.funnel")
    return _svg(bar_chart(title, [r[0] for r in rows], [r[1] for r in rows], _brand(), True))


@login_required
def collected_chart() -> Response:
    board = _board()
    fmt = Formats(board.currency)
    exponent = Money.zero(board.currency).exponent
    title = console_text(language(), "chart.collected", currency=board.currency)
    return _svg(
        bar_chart(
            title,
            [fmt.day(day.day) for day in board.days],
            [day.collected / 10**exponent for day in board.days],
            _brand(),
        )
    )


@login_required
def figures_csv() -> Response:
    """The period's days as CSV (one row a day), for a spreadsheet."""
    board = _board()
    out = io.StringIO()
    writer = csv.writer(out)
    names = [
        "day",
        "sent",
        "viewed",
        "started",
        "paid",
        "due",
        "late",
        "collected",
        "cart_sent",
        "cart_paid",
        "cart_collected",
        "sms_segments",
        "sms_cost_micros",
        "provider_fees",
        "new_payers",
    ]
    writer.writerow(names)
    for day in board.days:
        writer.writerow([day.day.isoformat(), *(getattr(day, n) for n in names[1:])])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="paylink-{board.period.start}-{board.period.end}.csv"'
    )
    return response


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/dashboard", dashboard, ["GET"]),
    ("/dashboard/survey", save_survey, ["POST"]),
    ("/dashboard/spend", save_spend, ["POST"]),
    ("/dashboard/funnel.svg", funnel_chart, ["GET"]),
    ("/dashboard/collected.svg", collected_chart, ["GET"]),
    ("/dashboard/figures.csv", figures_csv, ["GET"]),
]
