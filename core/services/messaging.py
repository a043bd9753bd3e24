"""Sending the messages a schedule asks for: the step is claimed (a message row, unique per
invoice and step) in the same transaction that checks the invoice is still unpaid and the
customer has not opted out; a delivery job then hands it to the channel and records the answer.

A refused SMS falls back to email when the customer has an address. Quiet hours are checked at
claim time in the customer's time zone: a step that would land in them waits for the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_percent
from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from core.channels.channel import MessageChannel
from core.channels.outbox import OutboxChannel
from core.channels.registry import build_channels
from core.early_payer_reward import RewardKind
from core.errors import Conflict, InvalidTransition, NotFound
from core.experiments import Arm
from core.invoices import PAYABLE, Autopay, Customer, InvoiceStatus
from core.jobs import DeferJob, NewJob
from core.links import payment_url, receipt_url, survey_url
from core.message_templates import (
    BABEL_LOCALES,
    Part,
    default_template,
    render_template,
    template_locale,
)
from core.money import Money
from core.reminders import (
    MARKETING,
    Anchor,
    Channel,
    MessageKind,
    MessageStatus,
    QuietHours,
    ReminderStep,
    choose_channel,
    customer_zone,
)
from core.services import rewards
from core.services.after_payment import AFTER_PAYMENT, SurveyMode
from core.services.context import ServiceContext
from core.services.experiments import arm_for, b_texts
from core.services.invoicing import customer_of, instalment_plan_on_track, state_of
from core.services.message_settings import own_template
from core.services.opt_outs import opted_out_channels
from core.services.reminder_schedule import JOB_SEND_STEP, policy_of, step_job_key
from core.settings import Settings
from core.sms import measure, sms_money
from core.storage.models import Invoice, Merchant, Message
from core.storage.survey_models import SurveyResponse

JOB_DELIVER = "messages.deliver"
RECIPIENT = "messages.recipient"


@dataclass(frozen=True)
class MessagingEnvironment:
    """What sending needs from the instance: the channels the settings chose, where Paylink
    is (links), its signing key (unsubscribe links), the SMS price and the STOP notice."""

    channels: dict[Channel, MessageChannel]
    base_url: str
    secret_key: str
    sms_segment_price: Decimal = Decimal("0.05")
    sms_stop_notice: str = "STOP au 36111"


def messaging_environment(settings: Settings) -> MessagingEnvironment:
    return MessagingEnvironment(
        channels=build_channels(settings),
        base_url=settings.base_url,
        secret_key=settings.secret_key,
        sms_segment_price=settings.sms_segment_price,
        sms_stop_notice=settings.sms_stop_notice,
    )


def outbox_messaging(base_url: str, secret_key: str) -> MessagingEnvironment:
    """Every message stored, none sent: the first-run default, and what tests use."""
    outbox = OutboxChannel()
    return MessagingEnvironment({Channel.SMS: outbox, Channel.EMAIL: outbox}, base_url, secret_key)


def sms_sender(merchant: Merchant) -> str:
    """The alphanumeric sender id (11 characters at most, letters and digits)."""
    derived = "".join(c for c in merchant.name if c.isascii() and c.isalnum())[:11]
    return merchant.sms_sender or derived or "Paylink"


def _template_text(
    session: Session, merchant_id: int, kind: MessageKind, locale: str, part: Part
) -> str:
    own = own_template(session, merchant_id, kind, locale, part)
    return own if own is not None else default_template(kind, locale, part)


def template_values(
    env: MessagingEnvironment,
    invoice: Invoice,
    merchant: Merchant,
    customer: Customer,
    channel: Channel,
    kind: MessageKind,
    now: datetime,
    reward: rewards.Reward | None = None,
) -> dict[str, str]:
    """The variables a template may use, formatted for the customer's language. After a
    payment, the amount is what was paid and the link leads to the receipt or the survey;
    an early payer's discount code is there once the store made it."""
    locale = BABEL_LOCALES[template_locale(customer.locale)]
    zone = customer_zone(customer.phone, merchant.timezone, merchant.country)[0]
    paid = kind in AFTER_PAYMENT
    amount = (
        Money(invoice.amount_paid, invoice.currency)
        if paid
        else state_of(invoice).amount_due_at(now)
    )
    due = invoice.due_at.astimezone(zone) if invoice.due_at else None
    expires = invoice.expires_at.astimezone(zone) if invoice.expires_at else None
    asks_in_receipt = kind == MessageKind.RECEIPT and merchant.survey_mode == SurveyMode.IN_RECEIPT
    return {
        "first_name": customer.first_name,
        "customer_name": customer.name,
        "merchant": merchant.name,
        "amount": sms_money(amount, locale),
        "due_date": format_date(due, "long", locale=locale) if due else "",
        "expires": format_datetime(expires, "d/MM HH:mm", locale=locale) if expires else "",
        "link": message_link(env.base_url, invoice.link_code, kind),
        "survey_link": survey_url(env.base_url, invoice.link_code) if asks_in_receipt else "",
        "invoice_number": invoice.number,
        "stop": env.sms_stop_notice if kind in MARKETING and channel == Channel.SMS else "",
        **_promo_values(reward if kind in AFTER_PAYMENT else None, locale, zone),
    }


def _promo_values(reward: rewards.Reward | None, locale: str, zone: ZoneInfo) -> dict[str, str]:
    """`promo_code` and its words: "10 %" or "5,00 €" off, until a day in the customer's zone;
    empty until the store made the code (a template shows it under `{% if promo_code %}`)."""
    if reward is None or not reward.made:
        return {"promo_code": "", "promo_value": "", "promo_until": ""}
    code = reward.code
    value = (
        format_percent(code.value / 100, locale=locale)
        if code.kind == RewardKind.PERCENT
        else sms_money(code.amount, locale)
    )
    until = format_date(code.ends_at.astimezone(zone), "long", locale=locale)
    return {"promo_code": code.code, "promo_value": value, "promo_until": until}


def message_link(base_url: str, code: str, kind: MessageKind) -> str:
    """Where a message's link leads: the receipt, the survey, or (asking for money) the
    payment page."""
    if kind == MessageKind.RECEIPT:
        return receipt_url(base_url, code)
    if kind == MessageKind.SURVEY:
        return survey_url(base_url, code)
    return payment_url(base_url, code)


def send_step(
    ctx: ServiceContext,
    env: MessagingEnvironment,
    invoice_id: int,
    step: str,
    one_off: MessageKind | None = None,
) -> None:
    """Claim one schedule step (or a `one_off` message of that kind, such as a resend): checks,
    then the message row and its delivery job, together."""
    with ctx.db.transaction() as session:
        invoice = session.scalars(
            select(Invoice)
            .options(lazyload(Invoice.lines))
            .where(Invoice.id == invoice_id)
            .with_for_update()
        ).one_or_none()
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id}")
        if session.scalar(
            select(Message.id).where(Message.invoice_id == invoice_id, Message.step == step)
        ):
            return  # claimed already (a retry after a crash)
        refusal = _not_now(session, invoice, one_off)
        if refusal is not None:
            ctx.record(session, invoice.id, "reminder_skipped", step=step, reason=refusal)
            return
        if not one_off and instalment_plan_on_track(session, invoice):
            ctx.record(session, invoice.id, "reminder_skipped", step=step, reason="instalment plan")
            return
        merchant = session.get(Merchant, invoice.merchant_id)
        assert merchant is not None
        wanted = (
            ReminderStep(step, Anchor.SENT, timedelta(0), Channel.AUTO, one_off)
            if one_off
            else next((s for s in policy_of(merchant, invoice).steps if s.name == step), None)
        )
        if wanted is None:
            ctx.record(session, invoice.id, "reminder_skipped", step=step, reason="not in policy")
            return
        customer = customer_of(invoice, ctx)
        variant = None
        if not one_off:
            tested = arm_for(ctx, session, invoice, step, template_locale(customer.locale))
            if tested is not None and tested[0] == Arm.HOLDOUT:
                ctx.record(session, invoice.id, "reminder_skipped", step=step, reason="holdout")
                return
            if tested is not None and tested[0] == Arm.B:
                variant = tested[1]
        asked = Channel(variant.b_channel) if variant and variant.b_channel else wanted.channel
        if asked == Channel.AUTO and invoice.preferred_channel:  # a billing rule's choice
            asked = Channel(invoice.preferred_channel)
        refused = opted_out_channels(session, invoice)
        channel = choose_channel(
            asked, customer.phone is not None, customer.email is not None, refused
        )
        if channel is None:
            ctx.record(session, invoice.id, "reminder_skipped", step=step, reason="no channel")
            return
        now = ctx.clock()
        if variant is not None and variant.b_delay_hours:
            later = _step_time(merchant, invoice, step) + timedelta(hours=variant.b_delay_hours)
            if later > now:
                raise DeferJob(later)  # the arm is drawn again then: the same, by its hash
        if one_off == MessageKind.RECEIPT:  # an early payer's code is being made: a moment
            wait = rewards.receipt_waits_for(session, invoice.id, now)
            if wait is not None:
                raise DeferJob(wait)
        zone, country = customer_zone(customer.phone, merchant.timezone, merchant.country)
        quiet = QuietHours.sms_hours(merchant.sms_opens, merchant.sms_closes)
        opens = quiet.next_allowed(now, channel, wanted.template, zone, country)
        if opens > now:
            raise DeferJob(opens)
        texts = b_texts(variant) if variant is not None else None
        claim_message(
            ctx, env, session, invoice, merchant, customer, step, wanted.template, channel, texts
        )


def _step_time(merchant: Merchant, invoice: Invoice, step: str) -> datetime:
    """When the invoice's schedule has the step (now when it is no longer in it)."""
    assert invoice.opened_at is not None
    schedule = policy_of(merchant, invoice).schedule(invoice.opened_at, invoice.due_at)
    return next((at for s, at in schedule if s.name == step), invoice.opened_at)


def _not_now(session: Session, invoice: Invoice, one_off: MessageKind | None) -> str | None:
    """Why a step is not sent, if it is not: a message asking for money only while the
    invoice is payable, a receipt or survey only once it is paid, a survey only while the
    merchant asks one and the customer has not answered."""
    if one_off not in AFTER_PAYMENT:
        return None if invoice.status in PAYABLE else invoice.status.value
    if invoice.status != InvoiceStatus.PAID:
        return invoice.status.value
    if one_off == MessageKind.SURVEY:
        merchant = session.get(Merchant, invoice.merchant_id)
        if merchant is None or merchant.survey_mode == SurveyMode.OFF:
            return "survey off"
        if session.scalar(select(SurveyResponse.id).where(SurveyResponse.invoice_id == invoice.id)):
            return "survey answered"
    return None


def claim_message(
    ctx: ServiceContext,
    env: MessagingEnvironment,
    session: Session,
    invoice: Invoice,
    merchant: Merchant,
    customer: Customer,
    step: str,
    kind: MessageKind,
    channel: Channel,
    texts: Mapping[Part, str] | None = None,
) -> Message:
    """The message row, rendered now (the text is what the merchant will see in the log), and
    the job that delivers it; `texts` replace the templates (an A/B test's variant B)."""
    now = ctx.clock()
    marketing = kind in MARKETING
    locale = template_locale(customer.locale)
    reward = rewards.reward_of(session, invoice.id) if kind in AFTER_PAYMENT else None
    values = template_values(env, invoice, merchant, customer, channel, kind, now, reward)
    recipient = customer.phone if channel == Channel.SMS else customer.email
    assert recipient is not None

    def texts_for(part: Part) -> str:
        if texts is not None:
            return texts[part]
        return _template_text(session, merchant.id, kind, locale, part)

    message = Message(
        merchant_id=merchant.id,
        invoice_id=invoice.id,
        step=step,
        kind=kind.value,
        channel=channel.value,
        provider=env.channels[channel].name,
        status=MessageStatus.QUEUED,
        recipient_ciphertext=ctx.keyring.encrypt(recipient, RECIPIENT),
        marketing=marketing,
        created_at=now,
        updated_at=now,
    )
    if channel == Channel.SMS:
        text = render_template(texts_for(Part.SMS), values)
        message.body = " ".join(text.split())
        sms = measure(message.body)
        message.segments, message.encoding = sms.segments, sms.encoding.value
        message.cost_estimate_micros = int(sms.cost(env.sms_segment_price) * 1_000_000)
    else:
        subject = render_template(texts_for(Part.SUBJECT), values)
        message.subject = " ".join(subject.split())
        message.body = render_template(texts_for(Part.BODY), values)
    session.add(message)
    session.flush()
    ctx.record(session, invoice.id, "message_queued", step=step, channel=channel.value)
    ctx.enqueue(
        session,
        NewJob(JOB_DELIVER, {"message_id": message.id}, f"deliver:{message.id}", now, merchant.id),
    )
    return message


def resend_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> str:
    """Send the invoice message again (the merchant asked): a one-off step of its own, so it
    is claimed once like any other; returns the step's name."""
    with ctx.db.transaction() as session:
        invoice = session.get(Invoice, invoice_id, options=[lazyload(Invoice.lines)])
        if invoice is None or invoice.merchant_id != merchant_id:
            raise NotFound(f"no invoice {invoice_id}")
        if invoice.status not in PAYABLE:
            raise InvalidTransition(f"invoice {invoice.number} is {invoice.status.value}")
        if invoice.autopay == Autopay.PENDING:  # its link now could have it paid twice
            raise Conflict(
                f"invoice {invoice.number} is being paid automatically", key="autopay_pending"
            )
        earlier = session.scalar(
            select(func.count()).where(
                Message.invoice_id == invoice_id, Message.step.like("resend-%")
            )
        )
        step = f"resend-{(earlier or 0) + 1}-{ctx.clock():%Y%m%d%H%M%S}"
        ctx.enqueue(
            session,
            NewJob(
                JOB_SEND_STEP,
                {"invoice_id": invoice_id, "step": step, "one_off": MessageKind.INVOICE.value},
                step_job_key(invoice_id, step),
                ctx.clock(),
                merchant_id,
            ),
        )
        ctx.record(session, invoice_id, "resend_requested", step=step)
    return step
