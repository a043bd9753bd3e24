"""The bank page: import a statement, then the exceptions queue (credits no reference settled,
each with the invoices it may pay and why) and what was decided, by whom."""

from __future__ import annotations

import re
from typing import BinaryIO, cast

from babel.dates import format_date
from flask import Response, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.bank_statements import PRESETS
from core.errors import PaylinkError
from core.money import Money
from core.services import bank_exceptions, reconciliation
from core.storage.bank_models import BankLineState
from core.web.console.forms import ActionForm, BankMatchForm, StatementForm
from core.web.console.pages import form_locales, language, render, require_csrf, submitted
from core.web.console.texts import console_text, said
from core.web.current import services

#: How many decided lines the page lists under the queue (the audit of recent decisions).
DECIDED_SHOWN = 20


def _statement_form() -> StatementForm:
    form = StatementForm(meta=form_locales())
    form.csv_profile.choices = [("", console_text(language(), "bank_camt"))] + [
        (name, console_text(language(), f"bank_preset.{name}")) for name in sorted(PRESETS)
    ]
    return form


@login_required
def bank() -> Response:
    return _bank_page(_statement_form())


def _bank_page(form: StatementForm, error: str | None = None, status: int = 200) -> Response:
    ctx, merchant_id = services(), current_user.merchant_id
    locale = "fr_FR" if language() == "fr" else "en_GB"
    decided = [
        line
        for line in bank_exceptions.bank_lines(ctx, merchant_id, None, 100)
        if line.decided_by and line.state != BankLineState.UNMATCHED
    ][:DECIDED_SHOWN]
    return render(
        "console/bank.html",
        status=status,
        form=form,
        error=error,
        queue=bank_exceptions.bank_lines(ctx, merchant_id),
        decided=decided,
        match_form=BankMatchForm(meta=form_locales()),
        action_form=ActionForm(),
        money=lambda amount: amount.format(locale),
        day_of=lambda booked: format_date(booked, "d MMM y", locale=locale),
        reasons=lambda suggestion: ", ".join(
            console_text(language(), f"bank_reason.{reason}") for reason in suggestion.reasons
        ),
        state_label=lambda state: console_text(language(), f"bank_state.{state}"),
        decider=lambda who: console_text(language(), "bank_paylink") if who == "paylink" else who,
    )


@login_required
def import_statement() -> Response | BaseResponse:
    form = _statement_form()
    if not submitted(form):
        return _bank_page(form, status=400)
    ctx, merchant_id = services(), current_user.merchant_id
    upload = form.statement.data
    try:
        profile = (
            reconciliation.csv_profile(ctx, merchant_id, form.csv_profile.data)
            if form.csv_profile.data
            else None
        )
        summary = reconciliation.import_statement(
            ctx,
            merchant_id,
            cast(BinaryIO, upload.stream),
            current_user.email,
            profile,
        )
    except PaylinkError as refusal:
        return _bank_page(form, error=said(language(), refusal), status=422)
    flash(_summary(summary))
    return redirect(url_for("console.bank"), code=303)


def _summary(summary: reconciliation.ImportSummary) -> str:
    lang = language()
    locale = "fr_FR" if lang == "fr" else "en_GB"
    collected = ", ".join(
        Money(minor, currency).format(locale) for currency, minor in summary.collected.items()
    )
    text = console_text(
        lang,
        "bank_imported",
        lines=summary.lines,
        matched=summary.matched,
        queued=summary.unmatched,
        collected=f" ({collected})" if collected else "",
    )
    if summary.already_imported:  # a whole statement seen before
        text += " " + console_text(lang, "bank_already_statements", count=summary.already_imported)
    if summary.duplicates:  # lines of a new statement that an earlier one carried
        text += " " + console_text(lang, "bank_already", count=summary.duplicates)
    if summary.already_imported or summary.duplicates:
        text += " " + console_text(lang, "bank_nothing_twice")
    return text


@login_required
def match_bank_line(line_id: int) -> Response | BaseResponse:
    form = BankMatchForm(meta=form_locales())
    if not submitted(form):
        return _bank_page(_statement_form(), status=400)
    numbers = [n for n in re.split(r"[\s,;]+", form.invoices.data or "") if n]
    try:
        bank_exceptions.match_by_hand(
            services(), current_user.merchant_id, line_id, numbers, current_user.email
        )
    except PaylinkError as refusal:
        return _bank_page(_statement_form(), error=said(language(), refusal), status=422)
    flash(console_text(language(), "bank_matched", numbers=", ".join(numbers)))
    return redirect(url_for("console.bank"), code=303)


@login_required
def ignore_bank_line(line_id: int) -> BaseResponse:
    require_csrf()
    bank_exceptions.ignore_line(services(), current_user.merchant_id, line_id, current_user.email)
    flash(console_text(language(), "bank_ignored"))
    return redirect(url_for("console.bank"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/bank", bank, ["GET"]),
    ("/bank/statements", import_statement, ["POST"]),
    ("/bank/lines/<int:line_id>/match", match_bank_line, ["POST"]),
    ("/bank/lines/<int:line_id>/ignore", ignore_bank_line, ["POST"]),
]
