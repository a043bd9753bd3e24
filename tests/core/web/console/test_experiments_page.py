"""The A/B tests page as a merchant uses it: start a test from the schedule's steps, read the
arms, promote B."""

from __future__ import annotations

import re

from core.message_templates import Part
from core.reminders import MessageKind
from core.services import message_settings
from core.storage.models import Merchant
from tests.support.console import csrf_token, sign_in


def reminder_test(page: str, b: int, holdout: int) -> dict[str, str]:
    """The form starting a test of the first reminder's texts in French."""
    return {
        "csrf_token": csrf_token(page),
        "step": "reminder-1",
        "locale": "fr",
        "sms": "{{ first_name }}, un petit rappel : {{ link }}",
        "subject": "Petit rappel",
        "body": "Bonjour {{ first_name }}, {{ amount }} : {{ link }}",
        "b_percent": str(b),
        "holdout_percent": str(holdout),
        "window_days": "14",
    }


def test_start_read_and_promote(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "Tests A/B" in page and "{{ first_name }}" in page
    started = client.post("/console/experiments", data=reminder_test(page, b=45, holdout=10))
    assert started.status_code == 303
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "A 45\u00a0%, B 45\u00a0%, témoin 10\u00a0%" in page
    assert "Trop tôt pour conclure" in page and "Témoin (aucun message)" in page
    stop = re.search(r"/console/experiments/(\d+)/stop", page).group(1)
    promoted = client.post(
        f"/console/experiments/{stop}/stop",
        data={"csrf_token": csrf_token(page), "promote": "b"},
    )
    assert promoted.status_code == 303
    with ctx.db.reading() as session:
        own = message_settings.own_template(session, shop.id, MessageKind.REMINDER, "fr", Part.SMS)
    assert own == "{{ first_name }}, un petit rappel : {{ link }}"


def test_a_broken_variant_is_refused_with_the_reason(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/experiments").get_data(as_text=True)
    refused = client.post(
        "/console/experiments",
        data={
            "csrf_token": csrf_token(page),
            "step": "reminder-1",
            "locale": "fr",
            "sms": "{{ password }}",
            "subject": "x",
            "body": "y",
            "b_percent": "50",
            "holdout_percent": "0",
            "window_days": "14",
        },
    )
    assert refused.status_code == 422 and "password" in refused.get_data(as_text=True)


def test_a_channel_and_hour_test_rolled_out_step_by_step(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/experiments").get_data(as_text=True)
    same = {"csrf_token": csrf_token(page), "step": "reminder-1", "locale": "fr"}
    nothing_new = client.post(
        "/console/experiments",
        data={
            **same,
            "b_channel": "",
            "b_percent": "10",
            "holdout_percent": "0",
            "window_days": "7",
        },
    )
    assert "B a besoin de nouveaux textes" in nothing_new.get_data(as_text=True)
    started = client.post(
        "/console/experiments",
        data={
            **same,
            "b_channel": "email",
            "b_delay_hours": "2",
            "b_percent": "10",
            "holdout_percent": "0",
            "window_days": "7",
        },
    )
    assert started.status_code == 303
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "B envoie vos textes, par email, 2 h plus tard" in page
    test_id = page.split("/console/experiments/")[1].split("/")[0]
    for share, said in (("50", "Répartition changée"), ("101", "au plus 100")):
        client.post(
            f"/console/experiments/{test_id}/split",
            data={"csrf_token": csrf_token(page), "b_percent": share},
        )
        page = client.get("/console/experiments").get_data(as_text=True)
        assert said in page
    assert "A 50\u00a0%, B 50\u00a0%" in page
    client.post(
        f"/console/experiments/{test_id}/stop",
        data={"csrf_token": csrf_token(page), "promote": "b"},
    )
    [step] = [s for s in message_settings.reminder_policy(ctx, shop.id).steps
              if s.name == "reminder-1"]  # fmt: skip
    assert step.channel.value == "email"
    again = client.post(
        f"/console/experiments/{test_id}/stop", data={"csrf_token": csrf_token(page), "promote": ""}
    )
    assert again.status_code == 303
    assert "ce test est déjà terminé" in client.get("/console/experiments").get_data(as_text=True)


def test_the_arms_money_is_in_the_merchant_s_currency(client, ctx, shop):
    with ctx.db.transaction() as session:
        session.get(Merchant, shop.id).currency = "CHF"
    sign_in(client, ctx, shop.id)
    page = client.get("/console/experiments").get_data(as_text=True)
    client.post("/console/experiments", data=reminder_test(page, b=50, holdout=0))
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "0,00\u00a0CHF" in page and "0,00\u00a0€" not in page
