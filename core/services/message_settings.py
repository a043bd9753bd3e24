"""What a merchant sets about messages: the reminder policy and their own templates (checked
before they are saved, previewed on a sample), and the log of what was sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.message_templates import (
    BABEL_LOCALES,
    LOCALES,
    Part,
    check_template,
    default_template,
    render_template,
)
from core.money import Money
from core.reminders import DEFAULT_POLICY, MessageKind, QuietHours, ReminderPolicy
from core.services.context import ServiceContext
from core.services.reminder_schedule import policy_of
from core.sms import SmsMeasure, measure, sms_money
from core.storage.models import Merchant, Message, MessageTemplate

MAX_LOG_PAGE = 200
#: What a preview renders with: the longest values the default SMS texts are measured at.
SAMPLE_VALUES = {
    "first_name": "Marie",
    "customer_name": "Marie Dupont",
    "merchant": "Boutique Lune",
    "amount": "75,50 €",
    "due_date": "30 novembre 2026",
    "expires": "30/11 23:59",
    "link": "https://pay.example/i/Ab3dE5fG7h12",
    "invoice_number": "F-2026-000123",
    "promo_code": "MERCI-7KQ2-X9MD",
    "promo_value": "10 %",
    "promo_until": "30 décembre 2026",
    "instalment": "3 × 25,17 €",
    "stop": "STOP au 36111",
}


#: The sample invoice's amounts and date, for previews in each language's own formats.
SAMPLE_AMOUNT, SAMPLE_PART, SAMPLE_DUE = 7550, 2517, date(2026, 11, 30)


def sample_values(locale: str, merchant_name: str, currency: str) -> dict[str, str]:
    """What a merchant's preview renders with: their own name, and the sample amounts and date
    as a customer reading that language gets them (the same formatting as a real send)."""
    babel = BABEL_LOCALES[locale]
    return {
        **SAMPLE_VALUES,
        "merchant": merchant_name,
        "amount": sms_money(Money(SAMPLE_AMOUNT, currency), babel),
        "due_date": format_date(SAMPLE_DUE, "long", locale=babel),
        "instalment": f"3 × {sms_money(Money(SAMPLE_PART, currency), babel)}",
    }


def _merchant_sample(session: Session, merchant_id: int, locale: str) -> dict[str, str]:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {merchant_id}")
    return sample_values(locale, merchant.name, merchant.currency)


def reminder_policy(ctx: ServiceContext, merchant_id: int) -> ReminderPolicy:
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        return policy_of(merchant)


def set_reminder_policy(
    ctx: ServiceContext, merchant_id: int, steps: Sequence[Mapping[str, Any]] | None
) -> ReminderPolicy:
    """Save a policy (None restores the default). Invoices already waiting go on from the
    first step of the new policy that is not before the time they were waiting for."""
    policy = ReminderPolicy.from_json(steps) if steps is not None else DEFAULT_POLICY
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.reminder_policy = None if steps is None else policy.to_json()
    return policy


def sms_hours(ctx: ServiceContext, merchant_id: int) -> tuple[int, int]:
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        return merchant.sms_opens, merchant.sms_closes


def set_sms_hours(ctx: ServiceContext, merchant_id: int, opens: int, closes: int) -> None:
    """Narrow the hours the merchant's SMS go out in (steps already waiting are held to the
    new hours when their time comes)."""
    QuietHours.sms_hours(opens, closes)  # refuses hours outside 8:00-20:00, with the reason
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.sms_opens, merchant.sms_closes = opens, closes


@dataclass(frozen=True)
class TemplatePreview:
    text: str
    rendered: str
    custom: bool
    sms: SmsMeasure | None


def _preview(
    part: Part, text: str, custom: bool, values: Mapping[str, str] = SAMPLE_VALUES
) -> TemplatePreview:
    rendered = render_template(text, dict(values))
    if part == Part.SMS:
        rendered = " ".join(rendered.split())
    return TemplatePreview(text, rendered, custom, measure(rendered) if part == Part.SMS else None)


def _checked_key(kind: str, locale: str, part: str) -> tuple[MessageKind, str, Part]:
    try:
        checked = MessageKind(kind), locale, Part(part)
    except ValueError as error:
        raise NotFound(str(error)) from None
    if locale not in LOCALES:
        raise NotFound(f"no locale {locale!r} (use {', '.join(LOCALES)})")
    return checked


def own_template(
    session: Session, merchant_id: int, kind: MessageKind, locale: str, part: Part
) -> str | None:
    """The merchant's own text for this kind, locale and part, or None (the default applies)."""
    return session.scalar(
        select(MessageTemplate.text).where(
            MessageTemplate.merchant_id == merchant_id,
            MessageTemplate.kind == kind.value,
            MessageTemplate.locale == locale,
            MessageTemplate.part == part.value,
        )
    )


def template(
    ctx: ServiceContext, merchant_id: int, kind: str, locale: str, part: str
) -> TemplatePreview:
    message_kind, locale, message_part = _checked_key(kind, locale, part)
    with ctx.db.transaction() as session:
        own = own_template(session, merchant_id, message_kind, locale, message_part)
        values = _merchant_sample(session, merchant_id, locale)
    text = own if own is not None else default_template(message_kind, locale, message_part)
    return _preview(message_part, text, own is not None, values)


def set_template(
    ctx: ServiceContext, merchant_id: int, kind: str, locale: str, part: str, text: str | None
) -> TemplatePreview:
    """Save the merchant's text (checked and rendered on the sample first, so a broken one is
    refused here with its reason), or restore the default with None."""
    message_kind, locale, message_part = _checked_key(kind, locale, part)
    with ctx.db.transaction() as session:
        values = _merchant_sample(session, merchant_id, locale)
    if text is not None:
        check_template(text)
        if not text.strip():
            raise ValidationError("a template cannot be empty")
        preview = _preview(message_part, text, True, values)
    with ctx.db.transaction() as session:
        session.execute(
            delete(MessageTemplate).where(
                MessageTemplate.merchant_id == merchant_id,
                MessageTemplate.kind == message_kind.value,
                MessageTemplate.locale == locale,
                MessageTemplate.part == message_part.value,
            )
        )
        if text is None:
            default = default_template(message_kind, locale, message_part)
            return _preview(message_part, default, False, values)
        session.add(
            MessageTemplate(
                merchant_id=merchant_id,
                kind=message_kind.value,
                locale=locale,
                part=message_part.value,
                text=text,
                updated_at=ctx.clock(),
            )
        )
    return preview


def message_log(
    ctx: ServiceContext, merchant_id: int, invoice_id: int | None, limit: int
) -> list[Message]:
    """The merchant's messages, newest first (the outbox of a first run included)."""
    query = select(Message).where(Message.merchant_id == merchant_id)
    if invoice_id is not None:
        query = query.where(Message.invoice_id == invoice_id)
    with ctx.db.transaction() as session:
        return list(
            session.scalars(
                query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
            )
        )


def check_template_text(text: str) -> None:
    """Refuse, with the reason, a text that cannot render (syntax, unknown variable, sandbox)."""
    render_template(text, SAMPLE_VALUES)


def preview_sms(ctx: ServiceContext, merchant_id: int, text: str, locale: str) -> TemplatePreview:
    """An SMS text rendered on the merchant's sample invoice and measured, as the settings
    page types it."""
    if locale not in LOCALES:
        raise NotFound(f"no locale {locale!r} (use {', '.join(LOCALES)})")
    with ctx.db.transaction() as session:
        values = _merchant_sample(session, merchant_id, locale)
    return _preview(Part.SMS, text, True, values)
