"""Reminder policies: step times, channels, quiet hours, all without a database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.reminders import (
    DEFAULT_POLICY,
    Channel,
    MessageKind,
    QuietHours,
    ReminderPolicy,
    choose_channel,
    parse_offset,
)

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday, 10:30 in Paris
DUE = SENT + timedelta(days=7)


def test_the_default_policy_is_the_flow_merchants_asked_for():
    schedule = DEFAULT_POLICY.schedule(SENT, DUE)
    assert [(s.name, s.channel.value, at - SENT) for s, at in schedule] == [
        ("invoice", "auto", timedelta(0)),
        ("reminder-1", "email", timedelta(hours=24)),
        ("reminder-2", "sms", timedelta(days=10)),
        ("reminder-3", "email", timedelta(days=14)),
    ]
    assert ReminderPolicy.from_json(DEFAULT_POLICY.to_json()) == DEFAULT_POLICY


def test_next_step_follows_time_order_and_skips_due_steps_without_a_due_date():
    policy = ReminderPolicy.from_json(
        [
            {"name": "late", "anchor": "due", "offset": "P1D"},
            {"name": "before", "anchor": "due", "offset": "-P2D", "channel": "sms"},
            {"name": "first", "anchor": "sent", "offset": "PT0S", "template": "invoice"},
        ]
    )
    assert policy.next_step(SENT, DUE, None)[0].name == "first"
    assert policy.next_step(SENT, DUE, "first")[0].name == "before"
    assert policy.next_step(SENT, DUE, "before") == (policy.steps[0], DUE + timedelta(days=1))
    assert policy.next_step(SENT, DUE, "late") is None
    assert [s.name for s, _ in policy.schedule(SENT, None)] == ["first"]


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ([{"offset": "P1M"}], "not months"),
        ([{"offset": "tomorrow"}], "ISO 8601"),
        ([{"offset": "P400D"}], "more than a year"),
        ([{"channel": "fax"}], "step 1"),
        ([{"anchor": "paid"}], "step 1"),
        ([{"template": "poem"}], "step 1"),
        ([{"name": "a"}, {"name": "a"}], "unique"),
        ([{"name": "bad name!"}], "not usable"),
        ([{}] * 13, "at most 12"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(steps, reason):
    with pytest.raises(ValidationError, match=reason):
        ReminderPolicy.from_json(steps)


def test_channel_choice():
    none: frozenset[Channel] = frozenset()
    assert choose_channel(Channel.AUTO, True, True, none) == Channel.SMS
    assert choose_channel(Channel.AUTO, False, True, none) == Channel.EMAIL
    assert choose_channel(Channel.SMS, False, True, none) == Channel.EMAIL
    assert choose_channel(Channel.SMS, True, True, frozenset({Channel.SMS})) == Channel.EMAIL
    assert choose_channel(Channel.EMAIL, True, False, none) == Channel.SMS
    assert choose_channel(Channel.AUTO, True, True, frozenset(Channel)) is None


def test_quiet_hours_in_the_customer_s_zone():
    quiet = QuietHours()
    evening = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # 20:30 in Paris
    assert not quiet.allowed(evening, Channel.SMS, MessageKind.REMINDER, PARIS, "FR")
    assert quiet.allowed(evening, Channel.EMAIL, MessageKind.REMINDER, PARIS, "FR")
    opens = quiet.next_allowed(evening, Channel.SMS, MessageKind.REMINDER, PARIS, "FR")
    assert opens == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    early = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
    assert quiet.next_allowed(early, Channel.SMS, MessageKind.REMINDER, PARIS, "FR") == opens


def test_marketing_sms_waits_past_sundays_and_public_holidays():
    quiet = QuietHours()
    saturday_night = datetime(2026, 5, 9, 19, 0, tzinfo=UTC)  # then Sunday 10, Monday 11
    monday = quiet.next_allowed(
        saturday_night, Channel.SMS, MessageKind.ABANDONED_CART, PARIS, "FR"
    )
    assert monday == datetime(2026, 5, 11, 6, 0, tzinfo=UTC)  # 08:00 CEST
    ascension = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)  # Ascension Thursday
    assert not quiet.allowed(ascension, Channel.SMS, MessageKind.FLASH_SALE, PARIS, "FR")
    assert quiet.allowed(ascension, Channel.SMS, MessageKind.REMINDER, PARIS, "FR")


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)))
def test_no_sms_is_ever_placed_in_quiet_hours(naive):
    moment = naive.replace(tzinfo=UTC)
    quiet = QuietHours()
    for kind in (MessageKind.REMINDER, MessageKind.ABANDONED_CART):
        placed = quiet.next_allowed(moment, Channel.SMS, kind, PARIS, "FR")
        assert placed >= moment and quiet.allowed(placed, Channel.SMS, kind, PARIS, "FR")
        local = placed.astimezone(PARIS)
        assert 8 <= local.hour < 20


def test_offsets():
    assert parse_offset("-P2D") == timedelta(days=-2)
    assert parse_offset("PT1H30M") == timedelta(hours=1, minutes=30)


def test_a_failed_charge_keeps_the_rhythm_in_its_own_words():
    failed = DEFAULT_POLICY.for_failed_charge()
    assert [(s.name, s.template.value) for s in failed.steps] == [
        ("invoice", "charge_failed"),
        ("reminder-1", "charge_failed_reminder"),
        ("reminder-2", "charge_failed_reminder"),
        ("reminder-3", "final_notice"),  # a final notice stays one
    ]
    timing = [(s.anchor, s.offset, s.channel) for s in failed.steps]
    assert timing == [(s.anchor, s.offset, s.channel) for s in DEFAULT_POLICY.steps]
    assert failed.first_only().steps == failed.steps[:1]  # a rule's "no reminders" still holds


@given(st.lists(st.sampled_from(list(MessageKind)), min_size=1, max_size=12))
def test_a_failed_charge_changes_words_never_steps(kinds):
    policy = ReminderPolicy.from_json(
        [{"name": f"s{n}", "offset": f"PT{n}H", "template": k.value} for n, k in enumerate(kinds)]
    )
    failed = policy.for_failed_charge()
    assert [s.name for s in failed.steps] == [s.name for s in policy.steps]
    asking = {MessageKind.INVOICE, MessageKind.REMINDER, MessageKind.OVERDUE}
    failed_words = {MessageKind.CHARGE_FAILED, MessageKind.CHARGE_FAILED_REMINDER}
    for before, after in zip(policy.steps, failed.steps, strict=True):
        assert (after.template in failed_words) == (before.template in asking | failed_words)
        if before.template not in asking:
            assert after.template == before.template  # receipts, final notices... unchanged


def test_a_cart_follows_the_invoice_rhythm_in_a_basket_s_words():
    cart = DEFAULT_POLICY.for_carts()
    assert [(s.name, s.template.value) for s in cart.steps] == [
        ("invoice", "abandoned_cart"),
        ("reminder-1", "abandoned_cart"),
    ]  # the due-date steps fall away: a cart has no due date
    assert cart.steps[1].offset == timedelta(hours=24)
