"""Reminder policies, pure: which messages an unpaid invoice gets, when, on which channel, and
the hours they may be sent in.

A policy is a list of steps, each anchored on the invoice being sent or on its due date, with an
ISO 8601 offset ("PT24H", "P3D", "-P2D" for two days before). Steps run in the order of their
times for a given invoice. Times are UTC; quiet hours are read in the customer's time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import isodate
import phonenumbers
from phonenumbers.timezone import time_zones_for_number

from core.errors import ValidationError

MAX_STEPS = 12
MAX_OFFSET = timedelta(days=365)


class Anchor(enum.StrEnum):
    SENT = "sent"  # when the invoice was sent (opened)
    DUE = "due"  # its due date


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"
    AUTO = "auto"  # SMS when the customer has a phone, else email


class MessageKind(enum.StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"  # before the due date: a gentle reminder
    OVERDUE = "overdue"  # after it: the invoice is late
    FINAL_NOTICE = "final_notice"  # the last one: polite, firm
    CHARGE_FAILED = "charge_failed"  # a subscription's automatic payment failed: pay by link
    CHARGE_FAILED_REMINDER = "charge_failed_reminder"  # still unpaid after it
    ABANDONED_CART = "abandoned_cart"
    FLASH_SALE = "flash_sale"
    RECEIPT = "receipt"
    SURVEY = "survey"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # planned, its job not yet run
    STORED = "stored"  # kept by the outbox channel, not sent
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the provider's receipt says it arrived
    FAILED = "failed"  # refused or undelivered (an SMS falls back to email)
    CANCELLED = "cancelled"  # not sent: the invoice was paid, voided or expired meanwhile


#: Marketing messages: no SMS on Sundays and public holidays, an unsubscribe link in emails.
#: Invoice reminders are transactional and carry no promotion.
MARKETING = frozenset({MessageKind.ABANDONED_CART, MessageKind.FLASH_SALE})
#: The texts of an invoice's own schedule (a cart's schedule speaks of the basket instead).
ASKING_FOR_PAYMENT = frozenset(
    {
        MessageKind.INVOICE,
        MessageKind.REMINDER,
        MessageKind.OVERDUE,
        MessageKind.FINAL_NOTICE,
        MessageKind.CHARGE_FAILED,
        MessageKind.CHARGE_FAILED_REMINDER,
    }
)
#: A failed automatic charge's own words for the invoice's schedule: its first message says
#: the charge failed, the reminders recall it; a final notice stays one.
FAILED_CHARGE_WORDS = {
    MessageKind.INVOICE: MessageKind.CHARGE_FAILED,
    MessageKind.REMINDER: MessageKind.CHARGE_FAILED_REMINDER,
    MessageKind.OVERDUE: MessageKind.CHARGE_FAILED_REMINDER,
}


def parse_offset(text: str) -> timedelta:
    """An ISO 8601 duration in days, hours and minutes ("P3D", "PT24H", "-P2D"); months and
    years are refused, since their length depends on the date."""
    try:
        offset = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError):
        raise ValidationError(
            f"{text!r} is not an ISO 8601 duration such as P3D or PT24H",
            key="offset_syntax",
            text=text,
        ) from None
    if not isinstance(offset, timedelta):
        raise ValidationError(
            f"{text!r}: use days and hours, not months or years", key="offset_months", text=text
        )
    if abs(offset) > MAX_OFFSET:
        raise ValidationError(f"{text!r} is more than a year", key="offset_year", text=text)
    return offset


@dataclass(frozen=True, slots=True)
class ReminderStep:
    name: str
    anchor: Anchor
    offset: timedelta
    channel: Channel
    template: MessageKind

    def at(self, sent_at: datetime, due_at: datetime | None) -> datetime | None:
        """When this step is due for an invoice, or None (a due-date step without a due date)."""
        base = sent_at if self.anchor == Anchor.SENT else due_at
        return base + self.offset if base is not None else None

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "anchor": self.anchor.value,
            "offset": isodate.duration_isoformat(self.offset),
            "channel": self.channel.value,
            "template": self.template.value,
        }


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    steps: tuple[ReminderStep, ...]

    @classmethod
    def from_json(cls, data: Sequence[Mapping[str, Any]]) -> ReminderPolicy:
        """A policy as the API and the settings page send it, with a reason for what is wrong."""
        if not isinstance(data, Sequence) or len(data) > MAX_STEPS:
            raise ValidationError(
                f"a reminder policy is a list of at most {MAX_STEPS} steps",
                key="policy_steps",
                most=MAX_STEPS,
            )
        steps = []
        for position, raw in enumerate(data, start=1):
            try:
                name = str(raw.get("name") or f"step-{position}")
                steps.append(
                    ReminderStep(
                        name=name,
                        anchor=Anchor(raw.get("anchor", "sent")),
                        offset=parse_offset(str(raw.get("offset", "PT0S"))),
                        channel=Channel(raw.get("channel", "auto")),
                        template=MessageKind(raw.get("template", "reminder")),
                    )
                )
            except ValidationError as error:
                raise ValidationError(
                    f"reminder step {position}: {error.message}",
                    key=f"step.{error.key}" if error.key else None,
                    position=position,
                    **error.values,
                ) from None
            except (ValueError, AttributeError) as error:
                raise ValidationError(
                    f"reminder step {position}: {error}", key="step_invalid", position=position
                ) from None
            if not 1 <= len(name) <= 48 or not name.replace("-", "").replace("_", "").isalnum():
                raise ValidationError(
                    f"reminder step {position}: name {name!r} is not usable",
                    key="step_name",
                    position=position,
                    name=name,
                )
        if len({s.name for s in steps}) != len(steps):
            raise ValidationError("reminder step names must be unique", key="step_names_unique")
        return cls(tuple(steps))

    def to_json(self) -> list[dict[str, str]]:
        return [step.to_json() for step in self.steps]

    def schedule(
        self, sent_at: datetime, due_at: datetime | None
    ) -> list[tuple[ReminderStep, datetime]]:
        """Every step with its time for one invoice, in time order (policy order on ties)."""
        timed = [(step, step.at(sent_at, due_at)) for step in self.steps]
        return sorted(
            ((step, at) for step, at in timed if at is not None), key=lambda pair: pair[1]
        )

    def for_carts(self) -> ReminderPolicy:
        """The same rhythm for an abandoned cart, in a cart's words: a cart has no due date, so
        its due-date steps fall away, and its invoice and reminder texts become the basket's."""
        return ReminderPolicy(
            tuple(
                replace(step, template=MessageKind.ABANDONED_CART)
                if step.template in ASKING_FOR_PAYMENT
                else step
                for step in self.steps
                if step.anchor == Anchor.SENT
            )
        )

    def for_failed_charge(self) -> ReminderPolicy:
        """The same rhythm, counted from the failure, in a failed charge's words (the
        customer expected nothing to do: the messages say why they now have)."""
        return ReminderPolicy(
            tuple(
                replace(step, template=FAILED_CHARGE_WORDS.get(step.template, step.template))
                for step in self.steps
            )
        )

    def first_only(self) -> ReminderPolicy:
        """The invoice's first message and nothing after it (a billing rule's "no
        reminders": customers the merchant follows up in person)."""
        return ReminderPolicy(self.steps[:1])

    def next_step(
        self, sent_at: datetime, due_at: datetime | None, after: str | None
    ) -> tuple[ReminderStep, datetime] | None:
        """The step that follows `after` (the first one when None) for this invoice."""
        schedule = self.schedule(sent_at, due_at)
        names = [step.name for step, _ in schedule]
        start = names.index(after) + 1 if after in names else 0
        return schedule[start] if start < len(schedule) else None


#: The flow merchants asked for: the invoice at once (SMS, else email), an email after 24 h,
#: an SMS 3 days after the due date, a last email 7 days after it.
DEFAULT_POLICY = ReminderPolicy.from_json(
    [
        {"name": "invoice", "anchor": "sent", "offset": "PT0S", "channel": "auto",
         "template": "invoice"},
        {"name": "reminder-1", "anchor": "sent", "offset": "PT24H", "channel": "email"},
        {"name": "reminder-2", "anchor": "due", "offset": "P3D", "channel": "sms",
         "template": "overdue"},
        {"name": "reminder-3", "anchor": "due", "offset": "P7D", "channel": "email",
         "template": "final_notice"},
    ]
)  # fmt: skip


def choose_channel(
    wanted: Channel, has_phone: bool, has_email: bool, opted_out: frozenset[Channel]
) -> Channel | None:
    """The channel a step goes out on: the one asked for if the customer can get it there and
    has not opted out, else the other one, else none (the step is skipped)."""
    can = {
        Channel.SMS: has_phone and Channel.SMS not in opted_out,
        Channel.EMAIL: has_email and Channel.EMAIL not in opted_out,
    }
    preferred = Channel.SMS if wanted == Channel.AUTO else wanted
    other = Channel.EMAIL if preferred == Channel.SMS else Channel.SMS
    for channel in (preferred, other):
        if can[channel]:
            return channel
    return None


#: The widest hours an SMS may go out in, in the customer's time: the French rule for
#: commercial SMS (8:00 to 20:00), which Paylink keeps for every SMS. Merchants may narrow them.
SMS_HOURS = (8, 20)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No SMS from `start` to `end` (local time); marketing SMS not on Sundays or holidays."""

    start: time = time(SMS_HOURS[1], 0)
    end: time = time(SMS_HOURS[0], 0)

    @classmethod
    def sms_hours(cls, opens: int, closes: int) -> QuietHours:
        """The quiet hours of a merchant whose SMS go out from `opens` to `closes` o'clock."""
        least, most = SMS_HOURS
        if not least <= opens < closes <= most:
            raise ValidationError(
                f"SMS hours are within {least}:00-{most}:00, opening before closing",
                key="sms_hours",
                least=least,
                most=most,
            )
        return cls(start=time(closes, 0), end=time(opens, 0))

    def _closed_day(self, day: date, country: str) -> bool:
        if day.weekday() == 6:
            return True
        try:
            return day in holidays.country_holidays(country, years=day.year)
        except NotImplementedError:  # a country the holidays package does not know
            return False

    def allowed(
        self, moment: datetime, channel: Channel, kind: MessageKind, zone: ZoneInfo, country: str
    ) -> bool:
        if channel != Channel.SMS:
            return True
        local = moment.astimezone(zone)
        clock = local.time()
        night = clock >= self.start or clock < self.end
        return not night and not (kind in MARKETING and self._closed_day(local.date(), country))

    def next_allowed(
        self, moment: datetime, channel: Channel, kind: MessageKind, zone: ZoneInfo, country: str
    ) -> datetime:
        """`moment` itself if a message may go then, else the start of the next window."""
        if self.allowed(moment, channel, kind, zone, country):
            return moment
        local = moment.astimezone(zone)
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        for _ in range(31):
            opening = datetime.combine(day, self.end, zone)
            if self.allowed(opening, channel, kind, zone, country):
                return opening.astimezone(moment.tzinfo)
            day += timedelta(days=1)
        raise ValidationError("no sending window within a month")  # pragma: no cover


def customer_zone(
    phone: str | None, default_zone: str, default_country: str
) -> tuple[ZoneInfo, str]:
    """The customer's time zone and country for quiet hours: from their phone number where it
    names one zone (a French mobile: Europe/Paris), else the merchant's."""
    if phone:
        try:
            number = phonenumbers.parse(phone)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            zones = [z for z in time_zones_for_number(number) if z != "Etc/Unknown"]
            region = phonenumbers.region_code_for_number(number) or default_country
            if len(zones) == 1:
                return ZoneInfo(zones[0]), region
            return ZoneInfo(default_zone), region
    return ZoneInfo(default_zone), default_country
