"""The A/B tests page as a merchant uses it: start a test from the schedule's steps, read the
arms, promote B."""

from __future__ import annotations

from core.message_templates import Part
from core.reminders import MessageKind
from core.services import message_settings
from tests.support.console import csrf_token, sign_in


def test_start_read_and_promote(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "Tests A/B" in page and "{{ first_name }}" in page
    started = client.post(
        "/console/experiments",
        data={
            "csrf_token": csrf_token(page),
            "step": "reminder-1",
            "locale": "fr",
            "sms": "{{ first_name }}, un petit rappel : {{ link }}",
            "subject": "Petit rappel",
            "body": "Bonjour {{ first_name }}, {{ amount }} : {{ link }}",
            "b_percent": "45",
            "holdout_percent": "10",
            "window_days": "14",
        },
    )
    assert started.status_code == 303
    page = client.get("/console/experiments").get_data(as_text=True)
    assert "A 45\u00a0%, B 45\u00a0%, témoin 10\u00a0%" in page
    assert "Trop tôt pour conclure" in page and "Témoin (aucun message)" in page
    stop = page.split("/console/experiments/")[1].split("/stop")[0]
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
