"""The A/B tests page: start a test of one reminder step (variant B's texts, the split, the
holdout), read each arm's results with their intervals and the verdict, stop a test and
promote its winner."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import PaylinkError, ValidationError
from core.experiments import Arm
from core.message_templates import Part
from core.reminders import Channel
from core.services import experiments, message_settings
from core.services.dashboard import merchant_today
from core.web.console.formats import Formats
from core.web.console.forms import ExperimentForm, SplitForm, StopExperimentForm
from core.web.console.pages import form_locales, language, render, submitted
from core.web.console.texts import console_text, said, step_label
from core.web.current import services


def _form(form: ExperimentForm | None = None) -> ExperimentForm:
    form = form or ExperimentForm(meta=form_locales())
    policy = message_settings.reminder_policy(services(), current_user.merchant_id)
    form.step.choices = [(s.name, step_label(language(), s.name)) for s in policy.steps]
    form.locale.choices = [("fr", "Français"), ("en", "English")]
    form.b_channel.choices = [
        ("", console_text(language(), "b_channel.same")),
        (Channel.SMS.value, console_text(language(), "medium.sms")),
        (Channel.EMAIL.value, console_text(language(), "medium.email")),
    ]
    if form.locale.data is None:
        form.locale.data = language()  # the merchant's customers most likely read it too
    return form


def _page(
    form: ExperimentForm | None = None, error: str | None = None, status: int = 200
) -> Response:
    merchant_id = current_user.merchant_id
    tests = [
        experiments.results(services(), merchant_id, test.id)
        for test in experiments.experiments_of(services(), merchant_id)
    ]
    _, _, currency = merchant_today(services(), merchant_id)  # the dashboard's money, too
    return render(
        "console/experiments.html",
        status=status,
        tests=tests,
        form=_form(form),
        error=error,
        stop_form=StopExperimentForm(meta=form_locales()),
        split_form=SplitForm(meta=form_locales()),
        step=lambda name: step_label(language(), name),
        fmt=Formats(currency),
        arms=(Arm.A, Arm.B, Arm.HOLDOUT),
    )


@login_required
def experiment_list() -> Response:
    return _page()


@login_required
def start_experiment() -> Response | BaseResponse:
    form = _form(ExperimentForm(meta=form_locales()))
    if not submitted(form):
        return _page(form, status=422)
    try:
        experiments.start_experiment(
            services(),
            current_user.merchant_id,
            form.step.data,
            form.locale.data,
            {Part.SMS: form.sms.data, Part.SUBJECT: form.subject.data, Part.BODY: form.body.data},
            form.b_percent.data or 0,
            form.holdout_percent.data or 0,
            form.window_days.data or 0,
            Channel(form.b_channel.data) if form.b_channel.data else None,
            form.b_delay_hours.data or 0,
        )
    except PaylinkError as refusal:
        return _page(form, said(language(), refusal), 422)
    flash(console_text(language(), "experiment_started"))
    return redirect(url_for("console.experiment_list"), code=303)


@login_required
def stop_experiment(experiment_id: int) -> BaseResponse:
    form = StopExperimentForm(meta=form_locales())
    if submitted(form):
        promote = Arm.B if form.promote.data == "b" else None
        try:
            experiments.stop_experiment(
                services(), current_user.merchant_id, experiment_id, current_user.email, promote
            )
        except PaylinkError as refusal:  # stopped already (another tab), or not theirs
            flash(said(language(), refusal))
        else:
            key = "experiment_promoted" if promote else "experiment_stopped"
            flash(console_text(language(), key))
    return redirect(url_for("console.experiment_list"), code=303)


@login_required
def change_split(experiment_id: int) -> BaseResponse:
    """A rollout's next step: B's share for the invoices assigned from now on."""
    form = SplitForm(meta=form_locales())
    if submitted(form):
        try:
            experiments.change_split(
                services(), current_user.merchant_id, experiment_id, form.b_percent.data or 0
            )
        except PaylinkError as refusal:
            flash(said(language(), refusal))
        else:
            flash(console_text(language(), "split_changed"))
    else:
        flash(said(language(), ValidationError("bad split", key="experiment_split")))
    return redirect(url_for("console.experiment_list"), code=303)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/experiments", experiment_list, ["GET"]),
    ("/experiments", start_experiment, ["POST"]),
    ("/experiments/<int:experiment_id>/stop", stop_experiment, ["POST"]),
    ("/experiments/<int:experiment_id>/split", change_split, ["POST"]),
]
