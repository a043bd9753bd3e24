"""Recurring invoices through the API: created once per reference, invoiced on their days,
paused, resumed, cancelled and changed; another merchant's schedule is a 404; answers fit the
OpenAPI document."""

from __future__ import annotations

import jsonschema

from core.services import recurring
from core.services.accounts import create_api_key
from tests.support.factories import merchant

SCHEDULE = {
    "reference": "abo-marie",
    "currency": "EUR",
    "lines": [{"label": "Box du mois", "unit_price": 2490, "tax": 415}],
    "customer": {"name": "Marie Curie", "email": "marie@example.fr", "locale": "fr"},
    "frequency": "monthly",
    "start_on": "2026-03-02",
    "end_after": 12,
}


def fits(client, name, body):
    doc = client.get("/api/v1/openapi.json").json
    schema = {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_a_schedule_is_made_once_and_invoices_each_period(client, auth, ctx, clock):
    created = client.post("/api/v1/recurring-invoices", json=SCHEDULE, headers=auth)
    assert created.status_code == 201, created.json
    fits(client, "RecurringOut", created.json)
    assert created.json["next_on"] == "2026-03-02" and created.json["total"] == 2490
    again = client.post("/api/v1/recurring-invoices", json=SCHEDULE, headers=auth)
    assert again.status_code == 200 and again.json["id"] == created.json["id"]
    recurring.issue_due_invoices(ctx)
    listed = client.get("/api/v1/invoices", headers=auth).json["data"]
    assert [i["source"]["kind"] for i in listed] == ["recurring"]
    schedule = client.get(f"/api/v1/recurring-invoices/{created.json['id']}", headers=auth).json
    assert (schedule["issued"], schedule["next_on"]) == (1, "2026-04-02")
    fits(client, "RecurringList", client.get("/api/v1/recurring-invoices", headers=auth).json)


def test_pause_resume_cancel_and_change_what_comes_next(client, auth):
    made = client.post("/api/v1/recurring-invoices", json=SCHEDULE, headers=auth).json
    base = f"/api/v1/recurring-invoices/{made['id']}"
    assert client.post(f"{base}/pause", headers=auth).json["status"] == "paused"
    assert client.post(f"{base}/pause", headers=auth).status_code == 409
    assert client.post(f"{base}/resume", headers=auth).json["status"] == "active"
    bigger = {"currency": "EUR", "lines": [{"label": "Box premium", "unit_price": 3990}]}
    assert client.put(f"{base}/content", json=bigger, headers=auth).json["total"] == 3990
    other_currency = {**bigger, "currency": "USD"}
    assert client.put(f"{base}/content", json=other_currency, headers=auth).status_code == 422
    cancelled = client.post(f"{base}/cancel", headers=auth).json
    assert (cancelled["status"], cancelled["next_on"]) == ("cancelled", None)


def test_bad_schedules_are_refused_with_a_reason_and_others_are_hidden(client, auth, ctx):
    for changes, reason in (
        ({"frequency": "daily"}, "frequency"),
        ({"start_on": "2026-03-01"}, "today or later"),
        ({"end_on": "2026-02-01"}, "on or after its start"),
        ({"customer": {"name": "Sans contact"}}, "email or a phone"),
    ):
        answer = client.post(
            "/api/v1/recurring-invoices", json={**SCHEDULE, **changes}, headers=auth
        )
        assert answer.status_code == 422 and reason in str(answer.json), (changes, answer.json)
    mine = client.post("/api/v1/recurring-invoices", json=SCHEDULE, headers=auth).json
    other = merchant(ctx, "Autre")
    _, key = create_api_key(ctx, other.id, "other")
    theirs = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/recurring-invoices/{mine['id']}", headers=theirs).status_code == 404
    assert (
        client.post(f"/api/v1/recurring-invoices/{mine['id']}/cancel", headers=theirs).status_code
        == 404
    )
    assert client.get("/api/v1/recurring-invoices", headers=theirs).json == {"data": []}
