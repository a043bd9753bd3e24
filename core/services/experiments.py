"""A/B tests of a reminder step: the merchant's text (A) against a new one (B), with a holdout
that gets no message for the step, each invoice assigned once when the step is sent; results
per arm, the comparison, the money the message itself brought, and promoting the winner."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from statistics import median_low

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, ValidationError
from core.experiments import Arm, ArmResult, Comparison, assign, check_shares, compare
from core.message_templates import LOCALES, Part, check_template
from core.reminders import Channel
from core.services import message_settings
from core.services.context import ServiceContext
from core.services.reminder_schedule import policy_of
from core.storage.experiment_models import Experiment, ExperimentAssignment
from core.storage.models import Invoice, Merchant

RUNNING, STOPPED = "running", "stopped"
LONGEST_WINDOW_DAYS = 60
LONGEST_DELAY_HOURS = 72


def start_experiment(
    ctx: ServiceContext,
    merchant_id: int,
    step: str,
    locale: str,
    texts: dict[Part, str],
    b_percent: int,
    holdout_percent: int,
    window_days: int,
    b_channel: Channel | None = None,
    b_delay_hours: int = 0,
) -> Experiment:
    """Test one step of the merchant's schedule, in one language: variant B's texts, and/or
    its channel, and/or a later hour. Without texts of its own, B sends the merchant's."""
    check_shares(b_percent, holdout_percent)
    if not 1 <= window_days <= LONGEST_WINDOW_DAYS:
        raise ValidationError(
            f"a payment counts within 1 to {LONGEST_WINDOW_DAYS} days", key="experiment_window"
        )
    if locale not in LOCALES:
        raise ValidationError(f"no templates in {locale!r}")
    if not 0 <= b_delay_hours <= LONGEST_DELAY_HOURS:
        raise ValidationError(
            f"variant B waits 0 to {LONGEST_DELAY_HOURS} hours", key="experiment_delay"
        )
    if b_channel == Channel.AUTO:
        b_channel = None
    texts = {part: texts.get(part) or "" for part in Part}
    own_texts = any(text.strip() for text in texts.values())
    if not (own_texts or b_channel or b_delay_hours):
        raise ValidationError(
            "variant B needs new texts, another channel or another hour", key="experiment_same"
        )
    for part, text in texts.items() if own_texts else ():
        if not text.strip():
            raise ValidationError(f"variant B needs its {part.value} text", key="experiment_text")
        check_template(text)
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        chosen = next((s for s in policy_of(merchant).steps if s.name == step), None)
        if chosen is None:
            raise ValidationError(f"{step!r} is not a step of your schedule", key="experiment_step")
        if _running(session, merchant_id, step, locale) is not None:
            raise Conflict(
                f"a test of {step} in {locale} is running already: stop it first",
                key="experiment_running",
            )
        experiment = Experiment(
            merchant_id=merchant_id,
            name=f"{step} {locale}",
            step=step,
            kind=chosen.template.value,
            locale=locale,
            b_sms=texts[Part.SMS] if own_texts else "",
            b_subject=texts[Part.SUBJECT] if own_texts else "",
            b_body=texts[Part.BODY] if own_texts else "",
            b_channel=b_channel.value if b_channel else None,
            b_delay_hours=b_delay_hours,
            b_percent=b_percent,
            holdout_percent=holdout_percent,
            window_days=window_days,
            status=RUNNING,
            started_at=ctx.clock(),
        )
        session.add(experiment)
        session.flush()
        return experiment


def _running(session: Session, merchant_id: int, step: str, locale: str) -> Experiment | None:
    return session.scalars(
        select(Experiment).where(
            Experiment.merchant_id == merchant_id,
            Experiment.step == step,
            Experiment.locale == locale,
            Experiment.status == RUNNING,
        )
    ).first()


def arm_for(
    ctx: ServiceContext, session: Session, invoice: Invoice, step: str, locale: str
) -> tuple[Arm, Experiment] | None:
    """The invoice's arm in the test running on this step, assigned now if it has none (the
    caller holds the invoice's lock, so it is assigned once); None without a test."""
    experiment = _running(session, invoice.merchant_id, step, locale)
    if experiment is None:
        return None
    known = session.scalar(
        select(ExperimentAssignment.arm).where(
            ExperimentAssignment.experiment_id == experiment.id,
            ExperimentAssignment.invoice_id == invoice.id,
        )
    )
    if known is not None:
        return Arm(known), experiment
    arm = assign(str(experiment.id), invoice.id, experiment.b_percent, experiment.holdout_percent)
    session.add(
        ExperimentAssignment(
            experiment_id=experiment.id,
            invoice_id=invoice.id,
            arm=arm.value,
            assigned_at=ctx.clock(),
        )
    )
    ctx.record(session, invoice.id, "experiment_assigned", step=step, arm=arm.value)
    return arm, experiment


def b_texts(experiment: Experiment) -> dict[Part, str] | None:
    """Variant B's texts, or None when it sends the merchant's own (a channel or hour test)."""
    if not experiment.b_sms:
        return None
    return {
        Part.SMS: experiment.b_sms,
        Part.SUBJECT: experiment.b_subject,
        Part.BODY: experiment.b_body,
    }


def _running_experiment(session: Session, merchant_id: int, experiment_id: int) -> Experiment:
    """The merchant's running test, locked; NotFound for another's, Conflict once ended."""
    experiment = session.get(Experiment, experiment_id, with_for_update=True)
    if experiment is None or experiment.merchant_id != merchant_id:
        raise NotFound(f"no experiment {experiment_id}")
    if experiment.status != RUNNING:
        raise Conflict("this test has ended already", key="experiment_ended")
    return experiment


def change_split(ctx: ServiceContext, merchant_id: int, experiment_id: int, b_percent: int) -> None:
    """Give variant B another share of the invoices assigned from now on (a rollout: 10 %,
    then 50 %, then promote). Invoices assigned already keep their arm; the results then mix
    both splits, which each arm's own rate tolerates."""
    with ctx.db.transaction() as session:
        experiment = _running_experiment(session, merchant_id, experiment_id)
        check_shares(b_percent, experiment.holdout_percent)
        experiment.b_percent = b_percent


@dataclass(frozen=True, slots=True)
class ExperimentResults:
    experiment: Experiment
    arms: dict[Arm, ArmResult]
    b_against_a: Comparison
    message_against_holdout: Comparison
    #: What sending the message brought beyond what the holdout paid by itself, minor units.
    message_effect: int | None


def results(ctx: ServiceContext, merchant_id: int, experiment_id: int) -> ExperimentResults:
    with ctx.db.reading() as session:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None or experiment.merchant_id != merchant_id:
            raise NotFound(f"no experiment {experiment_id}")
        rows = session.execute(
            select(
                ExperimentAssignment.arm,
                ExperimentAssignment.assigned_at,
                Invoice.paid_at,
                Invoice.viewed_at,
                Invoice.amount_paid,
            )
            .join(Invoice, Invoice.id == ExperimentAssignment.invoice_id)
            .where(ExperimentAssignment.experiment_id == experiment_id)
        ).all()
    window = timedelta(days=experiment.window_days)
    arms = {}
    for arm in Arm:
        mine = [row for row in rows if row.arm == arm.value]
        paid = [
            row
            for row in mine
            if row.paid_at is not None and row.paid_at - row.assigned_at <= window
        ]
        hours = [int((row.paid_at - row.assigned_at).total_seconds() // 3600) for row in paid]
        arms[arm] = ArmResult(
            arm,
            assigned=len(mine),
            converted=len(paid),
            collected=sum(row.amount_paid for row in paid),
            median_hours_to_pay=median_low(hours) if hours else None,
            opened=sum(1 for row in mine if row.viewed_at is not None),
        )
    a, b, holdout = arms[Arm.A], arms[Arm.B], arms[Arm.HOLDOUT]
    messaged = ArmResult(
        Arm.A, a.assigned + b.assigned, a.converted + b.converted, a.collected + b.collected
    )
    effect = None
    if holdout.assigned and messaged.assigned:
        effect = round(
            messaged.collected - holdout.collected * messaged.assigned / holdout.assigned
        )
    return ExperimentResults(experiment, arms, compare(a, b), compare(holdout, messaged), effect)


def experiments_of(ctx: ServiceContext, merchant_id: int) -> list[Experiment]:
    with ctx.db.reading() as session:
        return list(
            session.scalars(
                select(Experiment)
                .where(Experiment.merchant_id == merchant_id)
                .order_by(Experiment.id.desc())
            )
        )


def stop_experiment(
    ctx: ServiceContext, merchant_id: int, experiment_id: int, decided_by: str, promote: Arm | None
) -> None:
    """End the test; promoting B makes its texts the merchant's for that kind and language,
    and its channel and hour the step's, so every invoice gets them from now on."""
    with ctx.db.transaction() as session:
        experiment = _running_experiment(session, merchant_id, experiment_id)
        experiment.status, experiment.stopped_at = STOPPED, ctx.clock()
        experiment.stopped_by = decided_by[:200]
        experiment.winner = promote.value if promote else None
        kind, locale, texts = experiment.kind, experiment.locale, b_texts(experiment)
        step, channel, delay = experiment.step, experiment.b_channel, experiment.b_delay_hours
    if promote != Arm.B:
        return
    if texts is not None:
        for part, text in texts.items():
            message_settings.set_template(ctx, merchant_id, kind, locale, part.value, text)
    if channel or delay:
        _promote_channel_and_hour(ctx, merchant_id, step, channel, delay)


def _promote_channel_and_hour(
    ctx: ServiceContext, merchant_id: int, step: str, channel: str | None, delay: int
) -> None:
    """B's channel and later hour become the step's in the merchant's schedule."""
    policy = message_settings.reminder_policy(ctx, merchant_id)
    steps = [
        replace(
            s,
            channel=Channel(channel) if channel else s.channel,
            offset=s.offset + timedelta(hours=delay),
        )
        if s.name == step
        else s
        for s in policy.steps
    ]
    message_settings.set_reminder_policy(ctx, merchant_id, [s.to_json() for s in steps])
