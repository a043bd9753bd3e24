"""The subscriptions page as a merchant uses it: each schedule in words, paused, resumed and
cancelled in one click, another merchant's untouchable."""

from __future__ import annotations

import re

from core.services import recurring
from tests.core.services.test_recurring import request
from tests.support.console import csrf_token, sign_in
from tests.support.factories import merchant


def test_schedules_in_words_and_their_actions(client, ctx, shop):
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    sign_in(client, ctx, shop.id)
    page = client.get("/console/recurring").get_data(as_text=True)
    assert "Abonnements" in page and "Marie Curie" in page and "Chaque mois" in page
    assert "19,90\u00a0€" in page and "2 mars 2026" in page and "Actif" in page
    token = csrf_token(page)
    for action, status, said in (
        ("pause", "Suspendu", "Abonnement suspendu"),
        ("resume", "Actif", "Abonnement repris"),
        ("cancel", "Résilié", "Abonnement résilié"),
    ):
        answer = client.post(
            f"/console/recurring/{schedule.id}/{action}", data={"csrf_token": token}
        )
        assert answer.status_code == 303
        page = client.get("/console/recurring").get_data(as_text=True)
        assert status in page and said in page
    assert not re.search(r"/recurring/\d+/(pause|resume|cancel)", page)  # nothing left to do


def test_another_merchant_s_schedule_is_untouchable(client, ctx, shop):
    other = merchant(ctx, "Autre")
    theirs, _ = recurring.create_schedule(ctx, other.id, request("theirs"))
    sign_in(client, ctx, shop.id)
    token = csrf_token(client.get("/console/recurring").get_data(as_text=True))
    client.post(f"/console/recurring/{theirs.id}/cancel", data={"csrf_token": token})
    assert recurring.schedule_of(ctx, other.id, theirs.id).status == "active"
    assert "Marie Curie" not in client.get("/console/recurring").get_data(as_text=True)
