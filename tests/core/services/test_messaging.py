"""Messages and reminders end to end on an injected clock, on SQLite and PostgreSQL: the whole
default schedule, payment stopping it, quiet hours, opt-outs, one message per step."""

import shutil
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.errors import ValidationError
from core.events import CustomerDetails, PaymentReceived
from core.jobs import JobQueue, Worker
from core.money import Money
from core.reminders import DEFAULT_POLICY, Channel, QuietHours
from core.services import (
    invoice_creation,
    invoicing,
    message_settings,
    messaging,
    opt_outs,
    payments,
)
from core.services.context import ServiceContext
from core.services.invoice_queries import invoice_timeline
from core.services.invoicing import PHONE_INDEX
from core.services.job_handlers import core_handlers
from core.services.messaging import outbox_messaging
from core.services.reminder_schedule import sweep_due_reminders
from core.storage.database import Database
from core.storage.models import Invoice, Job, JobStatus, Message
from tests.support.clock import FakeClock
from tests.support.factories import merchant, order, provider_env

PARIS = ZoneInfo("Europe/Paris")


def worker(ctx, clock) -> Worker:
    return Worker(JobQueue(ctx.db, clock), core_handlers(ctx, provider_env(ctx)))


def settle(ctx, clock):
    """What a running worker does now: sweep due steps, run due jobs."""
    sweep_due_reminders(ctx)
    worker(ctx, clock).run(until_idle=True)


def sent(ctx) -> list[Message]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Message).order_by(Message.created_at, Message.id)))


def pay(ctx, invoice):
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "pay_1", invoice.id, Money(7550, "EUR"), ctx.clock())
    )


def test_the_default_schedule_runs_on_the_clock_until_payment(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())  # Monday 10:30 in Paris
    settle(ctx, clock)
    (first,) = sent(ctx)
    assert (first.step, first.channel, first.status, first.provider) == (
        "invoice",
        "sms",
        "stored",
        "outbox",
    )
    assert first.body == (
        "Bonjour Marie, votre facture Boutique Lune de 75,50 € est disponible : "
        f"https://pay.example/i/{invoice.link_code}"
    )
    assert (first.segments, first.encoding, first.cost_estimate_micros) == (1, "gsm7", 50_000)
    assert ctx.keyring.decrypt(first.recipient_ciphertext, messaging.RECIPIENT) == "+33612345678"

    clock.advance(hours=23)
    settle(ctx, clock)
    assert len(sent(ctx)) == 1  # not yet
    clock.advance(hours=1)
    settle(ctx, clock)
    second = sent(ctx)[1]
    assert (second.step, second.channel) == ("reminder-1", "email")
    assert second.subject == "Rappel : votre facture Boutique Lune de 75,50 €"
    assert invoice.number in second.body

    clock.now = invoice.due_at + timedelta(days=3)
    settle(ctx, clock)
    third = sent(ctx)[2]
    assert (third.step, third.channel) == ("reminder-2", "sms")
    assert invoicing.load_invoice_by_id(ctx, shop.id, invoice.id).status.value == "overdue"

    pay(ctx, invoice)
    with ctx.db.transaction() as session:
        assert session.get(Invoice, invoice.id).next_reminder_at is None
    clock.now = invoice.due_at + timedelta(days=30)
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice", "reminder-1", "reminder-2", "receipt"]


def test_a_step_already_queued_is_not_sent_once_the_invoice_is_paid(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    pay(ctx, invoice)  # between the claim job being queued and running
    settle(ctx, clock)
    assert [message.step for message in sent(ctx)] == ["receipt"]
    skipped = [
        e for e in invoice_timeline(ctx, shop.id, invoice.id) if e.kind == "reminder_skipped"
    ]
    assert skipped[0].data == {"step": "invoice", "reason": "paid"}


def test_an_sms_due_in_quiet_hours_waits_for_the_morning(ctx, clock):
    clock.now = datetime(2026, 3, 2, 19, 45, tzinfo=UTC)  # 20:45 in Paris
    shop = merchant(ctx)
    invoice_creation.create_invoice(ctx, shop.id, order())
    settle(ctx, clock)
    assert sent(ctx) == []
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job).where(Job.kind == "messages.send_step")).one()
        assert job.status == JobStatus.PENDING and job.attempts == 0
        assert job.run_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    clock.now = job.run_at
    settle(ctx, clock)
    (message,) = sent(ctx)
    assert message.channel == "sms" and message.created_at == job.run_at


def test_a_merchant_s_narrower_sms_hours_hold_the_sms(ctx, clock):
    clock.now = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 08:30 in Paris: open by law
    shop = merchant(ctx)
    message_settings.set_sms_hours(ctx, shop.id, 10, 18)
    invoice_creation.create_invoice(ctx, shop.id, order())
    settle(ctx, clock)
    assert sent(ctx) == []
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job).where(Job.kind == "messages.send_step")).one()
    assert job.run_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    with pytest.raises(ValidationError, match="within 8:00-20:00"):
        message_settings.set_sms_hours(ctx, shop.id, 7, 21)
    with pytest.raises(ValidationError):
        message_settings.set_sms_hours(ctx, shop.id, 18, 10)


def test_email_is_not_held_by_quiet_hours(ctx, clock):
    clock.now = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
    shop = merchant(ctx)
    details = CustomerDetails("Marie Curie", "marie@example.fr", None, "fr")
    invoice_creation.create_invoice(ctx, shop.id, order(customer=details))
    settle(ctx, clock)
    assert [(m.step, m.channel) for m in sent(ctx)] == [("invoice", "email")]


def test_opted_out_channels_are_honoured_at_every_send(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    assert (
        opt_outs.stop_sms_everywhere(
            ctx, ctx.keyring.blind_index("+33612345678", PHONE_INDEX), "sms_stop_reply"
        )
        == 1
    )
    settle(ctx, clock)
    assert [(m.step, m.channel) for m in sent(ctx)] == [("invoice", "email")]  # SMS wanted
    with ctx.db.transaction() as session:
        token = opt_outs.unsubscribe_token("k", session.get(Invoice, invoice.id), Channel.EMAIL)
    assert opt_outs.unsubscribe(ctx, "k", token) is True
    assert opt_outs.unsubscribe(ctx, "k", token) is False  # once
    clock.advance(days=1)
    settle(ctx, clock)
    assert len(sent(ctx)) == 1  # nowhere left to write to: skipped


def test_one_message_per_step_whatever_runs_it_at_once(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    env = outbox_messaging("https://pay.example", "k")
    barrier = threading.Barrier(6)
    errors = []

    def claim():
        barrier.wait()
        try:
            messaging.send_step(ctx, env, invoice.id, "invoice")
        except Exception as error:  # a loser may see the unique constraint
            errors.append(error)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent(ctx)) == 1
    assert all("unique" in str(e).lower() or "duplicate" in str(e).lower() for e in errors)


def test_steps_already_past_are_superseded_by_the_latest(ctx, clock):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    settle(ctx, clock)
    clock.now = invoice.due_at + timedelta(days=4)  # reminder-1 and reminder-2 both past
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice", "reminder-2"]


def test_a_merchant_template_and_policy_are_used(ctx, clock):
    from core.storage.models import Merchant, MessageTemplate

    shop = merchant(ctx)
    with ctx.db.transaction() as session:
        stored = session.get(Merchant, shop.id)
        stored.reminder_policy = [
            {"name": "hello", "anchor": "sent", "offset": "PT0S", "channel": "sms",
             "template": "invoice"},
        ]  # fmt: skip
        session.add(
            MessageTemplate(
                merchant_id=shop.id,
                kind="invoice",
                locale="fr",
                part="sms",
                text="{{ first_name }} : {{ amount }} -> {{ link }}",
                updated_at=clock(),
            )
        )
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    settle(ctx, clock)
    (message,) = sent(ctx)
    assert message.step == "hello"
    assert message.body == f"Marie : 75,50 € -> https://pay.example/i/{invoice.link_code}"


# Properties: over any creation and payment time, on SQLite ----------------------------------


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    created=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    paid_after_hours=st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 20)),
)
def test_no_message_after_payment_no_sms_in_quiet_hours_steps_in_order(
    sqlite_template, tmp_path_factory, keyring, created, paid_after_hours
):
    path = tmp_path_factory.mktemp("prop") / "paylink.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    clock = FakeClock(created.replace(tzinfo=UTC))
    ctx = ServiceContext(db=database, keyring=keyring, clock=clock, job_max_attempts=3)
    try:
        shop = merchant(ctx)
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
        paid_at = (
            clock() + timedelta(hours=paid_after_hours) if paid_after_hours is not None else None
        )
        end = clock() + timedelta(days=30)
        while clock() < end:
            if paid_at is not None and clock() >= paid_at:
                pay(ctx, invoice)
                paid_at = None
                paid_moment = clock()
            settle(ctx, clock)
            clock.advance(hours=1)
        asking = [m for m in sent(ctx) if m.kind not in ("receipt", "survey")]
        after = [m for m in sent(ctx) if m.kind in ("receipt", "survey")]
        assert len(after) == (0 if paid_after_hours is None else 1)  # the receipt, once
        quiet = QuietHours()
        messages = asking
        for message in messages:
            if paid_after_hours is not None:
                assert message.created_at < paid_moment
            if message.channel == "sms":
                local = message.created_at.astimezone(PARIS)
                assert 8 <= local.hour < 20, message.created_at
                assert quiet.allowed(
                    message.created_at, Channel.SMS, DEFAULT_POLICY.steps[0].template, PARIS, "FR"
                )
        order_of = [s.name for s, _ in DEFAULT_POLICY.schedule(invoice.opened_at, invoice.due_at)]
        steps = [m.step for m in messages]
        assert steps == sorted(steps, key=order_of.index)
    finally:
        database.dispose()


def test_no_reminder_while_an_instalment_plan_keeps_up(ctx, clock):
    """The first instalment arrived through a plan's checkout: reminders stay quiet while the
    plan pays; a failed instalment brings them back."""
    from core.services.payment_accounts import configure_payment_account
    from core.storage.models import Checkout, PaymentAccount

    shop = merchant(ctx)
    configure_payment_account(ctx, provider_env(ctx), shop.id, "sandbox", {})
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    settle(ctx, clock)  # the invoice itself
    with ctx.db.transaction() as session:
        account = session.scalars(select(PaymentAccount)).one()
        session.add(
            Checkout(
                invoice_id=invoice.id,
                account_id=account.id,
                provider="payplug",
                provider_reference="inst_1",
                method="instalments",
                amount=7550,
                currency="EUR",
                payment_reference="pay_first",
                created_at=clock(),
            )
        )
    payments.record_payment(
        ctx, PaymentReceived("payplug", "pay_first", invoice.id, Money(2517, "EUR"), clock())
    )
    clock.advance(hours=24)
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice"]
    skipped = [
        e for e in invoice_timeline(ctx, shop.id, invoice.id) if e.kind == "reminder_skipped"
    ]
    assert skipped[-1].data == {"step": "reminder-1", "reason": "instalment plan"}
    with ctx.db.transaction() as session:
        ctx.record(session, invoice.id, "payment_failed", provider="payplug")
    clock.now = invoice.due_at + timedelta(days=3)
    settle(ctx, clock)
    assert [m.step for m in sent(ctx)] == ["invoice", "reminder-2"]
