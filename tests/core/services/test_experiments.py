"""A/B tests on a real schedule: the holdout gets no message for the step, variant B gets its
text, each invoice's arm is on its timeline and never changes, results per arm, promoting B
makes its texts the merchant's."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.errors import Conflict, ValidationError
from core.events import PaymentReceived
from core.experiments import Arm
from core.message_templates import Part
from core.money import Money
from core.reminders import Channel, MessageKind
from core.services import experiments, invoice_creation, message_settings, payments
from core.services.invoice_queries import invoice_timeline
from tests.core.services.test_messaging import sent, settle
from tests.support.factories import merchant, order

B = {
    Part.SMS: "{{ first_name }}, petit rappel : {{ amount }} ici {{ link }}",
    Part.SUBJECT: "Petit rappel de {{ merchant }}",
    Part.BODY: "Bonjour {{ first_name }}, il reste {{ amount }} : {{ link }}",
}


def test_arms_get_their_texts_or_nothing_and_results_count_payments(ctx, clock):
    shop = merchant(ctx)
    test = experiments.start_experiment(ctx, shop.id, "invoice", "fr", B, 40, 20, 14)
    made = [invoice_creation.create_invoice(ctx, shop.id, order(f"x-{n}"))[0] for n in range(60)]
    settle(ctx, clock)
    arms = {}
    for invoice in made:
        [event] = [e for e in invoice_timeline(ctx, shop.id, invoice.id)
                   if e.kind == "experiment_assigned"]  # fmt: skip
        arms[invoice.id] = Arm(event.data["arm"])
    messages = {m.invoice_id: m for m in sent(ctx)}
    for invoice in made:
        arm = arms[invoice.id]
        if arm == Arm.HOLDOUT:
            assert invoice.id not in messages
        elif arm == Arm.B:
            assert messages[invoice.id].body.startswith("Marie, petit rappel : 75,50 €")
        else:
            assert messages[invoice.id].body.startswith("Bonjour Marie, votre facture")
    assert set(Counter(arms.values())) == {Arm.A, Arm.B, Arm.HOLDOUT}
    paid = [invoice for invoice in made if arms[invoice.id] != Arm.HOLDOUT][:5]
    clock.advance(days=2)
    for n, invoice in enumerate(paid):
        payments.record_payment(
            ctx, PaymentReceived("sandbox", f"p{n}", invoice.id, Money(7550, "EUR"), clock())
        )
    result = experiments.results(ctx, shop.id, test.id)
    assert sum(r.assigned for r in result.arms.values()) == 60
    assert sum(r.converted for r in result.arms.values()) == 5
    assert result.b_against_a.verdict.value == "too_early"
    assert result.message_effect == 5 * 7550  # the holdout paid nothing by itself


def test_one_running_test_per_step_and_language_and_texts_are_checked(ctx):
    shop = merchant(ctx)
    experiments.start_experiment(ctx, shop.id, "reminder-1", "fr", B, 50, 0, 7)
    with pytest.raises(Conflict):
        experiments.start_experiment(ctx, shop.id, "reminder-1", "fr", B, 50, 0, 7)
    with pytest.raises(ValidationError, match="not a step"):
        experiments.start_experiment(ctx, shop.id, "reminder-9", "fr", B, 50, 0, 7)
    with pytest.raises(ValidationError):
        experiments.start_experiment(
            ctx, shop.id, "reminder-2", "fr", {**B, Part.SMS: "{{ secret }}"}, 50, 0, 7
        )


def test_promoting_b_makes_its_texts_the_merchants(ctx, clock):
    shop = merchant(ctx)
    test = experiments.start_experiment(ctx, shop.id, "reminder-1", "fr", B, 50, 10, 7)
    experiments.stop_experiment(ctx, shop.id, test.id, "lea@lune.fr", Arm.B)
    with ctx.db.reading() as session:
        own = message_settings.own_template(session, shop.id, MessageKind.REMINDER, "fr", Part.SMS)
    assert own == B[Part.SMS]
    with pytest.raises(Conflict):
        experiments.stop_experiment(ctx, shop.id, test.id, "lea@lune.fr", None)


def test_variant_b_may_change_the_channel_and_the_hour_and_be_promoted(ctx, clock):
    shop = merchant(ctx)
    test = experiments.start_experiment(
        ctx, shop.id, "invoice", "fr", {}, 50, 0, 14, b_channel=Channel.EMAIL, b_delay_hours=3
    )
    made = [invoice_creation.create_invoice(ctx, shop.id, order(f"c-{n}"))[0] for n in range(20)]
    settle(ctx, clock)
    first = {m.invoice_id: m for m in sent(ctx)}
    clock.advance(hours=3)
    settle(ctx, clock)
    later = {m.invoice_id: m for m in sent(ctx) if m.invoice_id not in first}
    assert first and later and len(first) + len(later) == 20
    assert {m.channel for m in first.values()} == {"sms"}  # A: the step's own (auto: SMS)
    assert {m.channel for m in later.values()} == {"email"}  # B: by email, 3 hours later
    assert {m.created_at for m in later.values()} == {clock()}
    assert all("Bonjour Marie" in m.body for m in later.values()), later[next(iter(later))].body
    arms = {e.data["arm"] for i in made for e in invoice_timeline(ctx, shop.id, i.id)
            if e.kind == "experiment_assigned" and i.id in later}  # fmt: skip
    assert arms == {"b"}
    experiments.stop_experiment(ctx, shop.id, test.id, "lea@lune.fr", Arm.B)
    [step] = [
        s for s in message_settings.reminder_policy(ctx, shop.id).steps if s.name == "invoice"
    ]
    assert (step.channel, step.offset) == (Channel.EMAIL, timedelta(hours=3))


def test_a_test_without_any_change_is_refused(ctx):
    shop = merchant(ctx)
    with pytest.raises(ValidationError, match="new texts, another channel or another hour"):
        experiments.start_experiment(ctx, shop.id, "invoice", "fr", {}, 50, 0, 14)
    with pytest.raises(ValidationError, match="0 to 72 hours"):
        experiments.start_experiment(ctx, shop.id, "invoice", "fr", {}, 50, 0, 14, b_delay_hours=99)


def test_a_rollout_raises_b_s_share_for_invoices_assigned_from_now_on(ctx, clock):
    shop = merchant(ctx)
    test = experiments.start_experiment(ctx, shop.id, "invoice", "fr", B, 10, 0, 14)
    early = [invoice_creation.create_invoice(ctx, shop.id, order(f"r-{n}"))[0] for n in range(30)]
    settle(ctx, clock)
    experiments.change_split(ctx, shop.id, test.id, 90)
    late = [invoice_creation.create_invoice(ctx, shop.id, order(f"s-{n}"))[0] for n in range(30)]
    settle(ctx, clock)
    result = experiments.results(ctx, shop.id, test.id)
    assert result.arms[Arm.B].assigned > result.arms[Arm.A].assigned
    bodies = {m.invoice_id: m.body for m in sent(ctx)}
    assert sum(bodies[i.id].startswith("Marie, petit rappel") for i in early) < 10
    assert sum(bodies[i.id].startswith("Marie, petit rappel") for i in late) > 20
    with pytest.raises(ValidationError):
        experiments.change_split(ctx, shop.id, test.id, 0)
    experiments.stop_experiment(ctx, shop.id, test.id, "lea@lune.fr", None)
    with pytest.raises(Conflict):
        experiments.change_split(ctx, shop.id, test.id, 50)
