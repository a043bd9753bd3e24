import json
from dataclasses import replace

import pytest

from core.services.accounts import create_api_key
from core.web import create_app
from tests.support.factories import merchant
from tests.support.sql_counts import counted_statements

INVOICE = {
    "currency": "EUR",
    "lines": [
        {"label": "Bougie parfumée", "quantity": 2, "unit_price": 1850, "tax": 617},
        {"label": "Coffret", "unit_price": 990},
    ],
    "shipping": 490,
    "customer": {"name": "Marie Curie", "email": "marie@example.fr", "phone": "06 12 34 56 78"},
    "reference": "order-1001",
}


def create(client, auth, **changes):
    return client.post("/api/v1/invoices", json={**INVOICE, **changes}, headers=auth)


def test_create_then_get_an_invoice(client, auth):
    response = create(client, auth)
    assert response.status_code == 201, response.json
    assert "Bougie parfumée".encode() in response.data  # UTF-8, not escaped
    body = response.json
    assert (body["status"], body["total"], body["amount_due"]) == ("open", 5180, 5180)
    assert body["customer"] == {
        "name": "Marie Curie",
        "email": "marie@example.fr",
        "phone": "+33612345678",
        "locale": "fr",
    }
    assert body["payment_url"].startswith("https://pay.example/i/")
    assert body["source"] == {"kind": "api", "store_id": None, "external_id": "order-1001"}
    fetched = client.get(f"/api/v1/invoices/{body['id']}", headers=auth)
    assert fetched.status_code == 200 and fetched.json == body


def test_a_new_invoice_costs_few_statements_and_a_replay_writes_nothing(
    client, auth, ctx, database_url
):
    """The key looked up, then on SQLite, in the group commit's transaction: numbering (the
    merchant row read back); the invoice row carrying its reminder schedule; its lines,
    however many, in one INSERT; its timeline; its jobs in one INSERT. On PostgreSQL all of
    that, the invoice's id drawn from its sequence too, is one statement in a transaction of
    its own (autocommit)."""
    postgres = database_url.startswith("postgresql")
    client.get("/api/v1/invoices", headers=auth)  # the key notes its use (once a minute)
    lines = {
        "lines": [{"label": "Coffret", "unit_price": 990}, {"label": "Bougie", "unit_price": 1490}]
    }
    with counted_statements(ctx.db.engine) as created:
        assert create(client, auth, **lines).status_code == 201
    writes = ["WITH"] if postgres else ["UPDATE", "INSERT", "INSERT", "INSERT", "INSERT"]
    assert [s.split()[0].upper() for s in created.statements] == ["SELECT", *writes]
    assert [s.split()[0].upper() for s in created.writes] == writes
    assert created.transactions == (0 if postgres else 1)
    with counted_statements(ctx.db.engine) as replayed:
        assert create(client, auth, **lines).status_code == 200
    failed = ["WITH"] if postgres else ["UPDATE", "INSERT"]  # refused: nothing kept
    assert [s.split()[0].upper() for s in replayed.writes] == failed
    assert next_number(client, auth) == "F-2026-000002"  # nothing consumed by the replay


def next_number(client, auth) -> str:
    return create(client, auth, reference="order-next").json["number"]


def test_the_same_reference_returns_the_same_invoice(client, auth):
    first = create(client, auth)
    again = create(client, auth)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    conflict = create(client, auth, shipping=0)
    assert conflict.status_code == 409 and "different total" in conflict.json["error"]["message"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "XYZ"}, "unknown currency"),
        ({"lines": [{"label": "x", "unit_price": -5}]}, "lines.0.unit_price"),
        ({"lines": [{"label": "x", "unit_price": "75.50"}]}, "lines.0.unit_price"),
        ({"lines": [{"label": "x", "unit_price": 75.5}]}, "lines.0.unit_price"),
        ({"lines": [{"label": "x", "unit_price": 10**15 + 1}]}, "lines.0.unit_price"),
        ({"lines": [{"label": "x", "unit_price": 10**30}]}, "lines.0.unit_price"),
        ({"lines": []}, "lines"),
        ({"customer": {"name": "A", "email": "not-an-email"}}, "email"),
        ({"customer": {"name": "A", "phone": "123"}}, "phone"),
        ({"customer": {"name": "A"}}, "email or a phone"),
        ({"discount": 999999}, "discount is larger"),
        ({"due_at": "2026-03-01T10:00:00"}, "due_at"),
        ({"early_payment": {"discount": 0, "until": "2026-03-05T00:00:00Z"}}, "discount"),
        ({"early_payment": {"discount": 9999, "until": "2026-03-05T00:00:00Z"}}, "less than"),
        ({"early_payment": {"discount": 100, "until": "2026-04-01T00:00:00Z"}}, "due date"),
        ({"early_payment": {"discount": 100}}, "until"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_a_422_with_the_reason_and_writes_nothing(client, auth, changes, field):
    response = create(client, auth, **changes)
    assert response.status_code == 422, response.json
    assert field in json.dumps(response.json["error"])
    assert client.get("/api/v1/invoices", headers=auth).json["data"] == []


def test_unreadable_bodies(client, auth):
    not_json = client.post(
        "/api/v1/invoices",
        data="currency=EUR",
        headers=auth,
        content_type="application/x-www-form-urlencoded",
    )
    assert not_json.status_code == 415
    malformed = client.post(
        "/api/v1/invoices",
        data='{"currency": "EUR",',
        headers=auth,
        content_type="application/json",
    )
    assert malformed.status_code == 400 and malformed.json["error"]["code"] == "malformed_json"
    huge = client.post(
        "/api/v1/invoices", data="x" * (65 * 1024), headers=auth, content_type="application/json"
    )
    assert huge.status_code == 413 and huge.json["error"]["code"] == "request_entity_too_large"


def test_authentication_is_required_and_scoped(client, auth, ctx):
    assert client.get("/api/v1/invoices").status_code == 401
    wrong = client.get("/api/v1/invoices", headers={"Authorization": "Bearer pl_abc_def"})
    assert wrong.status_code == 401 and wrong.json["error"]["message"] == "invalid API key"
    invoice_id = create(client, auth).json["id"]
    other = merchant(ctx, "Other shop")
    _, other_key = create_api_key(ctx, other.id, "x")
    other_auth = {"Authorization": f"Bearer {other_key}"}
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=other_auth).status_code == 404
    assert client.post(f"/api/v1/invoices/{invoice_id}/void", headers=other_auth).status_code == 404


def test_unknown_ids_and_routes_are_json_404s(client, auth):
    for path in ("/api/v1/invoices/999", "/api/v1/invoices/999/timeline", "/api/v1/nothing"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404 and response.is_json


def test_void_then_timeline(client, auth):
    invoice_id = create(client, auth).json["id"]
    voided = client.post(
        f"/api/v1/invoices/{invoice_id}/void", json={"reason": "duplicate"}, headers=auth
    )
    assert voided.status_code == 200 and voided.json["status"] == "void"
    again = client.post(f"/api/v1/invoices/{invoice_id}/void", headers=auth)
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    timeline = client.get(f"/api/v1/invoices/{invoice_id}/timeline", headers=auth).json["data"]
    assert [event["kind"] for event in timeline] == ["created", "voided"]
    assert timeline[1]["data"] == {"reason": "duplicate"}


def test_drafts_open_on_request(client, auth):
    draft = create(client, auth, draft=True).json
    assert draft["status"] == "draft"
    opened = client.post(f"/api/v1/invoices/{draft['id']}/open", headers=auth)
    assert opened.status_code == 200 and opened.json["status"] == "open"


def test_only_a_draft_is_opened(client, auth):
    """Opening a paid invoice again would ask its customer to pay twice."""
    invoice = create(client, auth).json
    mark = {"amount": invoice["total"], "reference": "VIR DUPONT"}
    client.post(f"/api/v1/invoices/{invoice['id']}/payments", json=mark, headers=auth)
    refused = client.post(f"/api/v1/invoices/{invoice['id']}/open", headers=auth)
    assert refused.status_code == 409 and "only a draft" in refused.json["error"]["message"]
    again = client.get(f"/api/v1/invoices/{invoice['id']}", headers=auth).json
    assert again["status"] == "paid"
    timeline = client.get(f"/api/v1/invoices/{invoice['id']}/timeline", headers=auth).json
    assert "opened" not in [event["kind"] for event in timeline["data"]]


def test_listing_with_filters_and_cursor(client, auth, clock):
    ids = []
    for n in range(3):
        ids.append(create(client, auth, reference=f"r{n}").json["id"])
        clock.advance(minutes=5)
    client.post(f"/api/v1/invoices/{ids[1]}/void", headers=auth)
    page = client.get("/api/v1/invoices?limit=2", headers=auth).json
    assert [i["id"] for i in page["data"]] == [ids[2], ids[1]] and page["has_more"]
    rest = client.get(
        f"/api/v1/invoices?starting_after={page['next_starting_after']}", headers=auth
    ).json
    assert [i["id"] for i in rest["data"]] == [ids[0]] and not rest["has_more"]
    voided = client.get("/api/v1/invoices?status=void", headers=auth).json["data"]
    assert [i["id"] for i in voided] == [ids[1]]
    by_email = client.get("/api/v1/invoices?customer_email=MARIE@example.fr", headers=auth).json
    assert len(by_email["data"]) == 3
    for bad in (
        "status=lost",
        "limit=0",
        "limit=1000",
        "created_from=yesterday",
        "starting_after=x",
    ):
        assert client.get(f"/api/v1/invoices?{bad}", headers=auth).status_code == 422


def test_dead_jobs_are_visible_and_retryable(client, auth, ctx, shop, clock):
    from core.jobs import JobQueue, NewJob, Worker

    with ctx.db.transaction() as session:
        ctx.enqueue(session, NewJob("store.push_payment", {}, "push-1", clock(), shop.id))
    Worker(JobQueue(ctx.db, clock), {}).run(until_idle=True)  # no handler: dead at once
    dead = client.get("/api/v1/jobs?status=dead", headers=auth).json["data"]
    assert [job["kind"] for job in dead] == ["store.push_payment"]
    assert "no handler" in dead[0]["last_error"]
    retried = client.post(f"/api/v1/jobs/{dead[0]['id']}/retry", headers=auth)
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    assert client.post(f"/api/v1/jobs/{dead[0]['id']}/retry", headers=auth).status_code == 422
    assert client.post("/api/v1/jobs/999/retry", headers=auth).status_code == 404


def test_health(client):
    response = client.get("/healthz")
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def limited_app(settings, clock, database, limit, redis_url=None):
    return create_app(replace(settings, api_rate_limit=limit, redis_url=redis_url), clock, database)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rate_limit_per_api_key(settings, clock, database, shop):
    app = limited_app(settings, clock, database, "3 per minute")
    _, key = create_api_key(app.extensions["paylink"], shop.id, "limited")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    answers = [client.get("/api/v1/invoices", headers=headers) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"3"}
    limited = client.get("/api/v1/invoices", headers=headers)
    assert limited.is_json and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json["error"]["message"] == "rate limit exceeded: 3 per 1 minute"
    _, other_key = create_api_key(app.extensions["paylink"], shop.id, "another key")
    other = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {other_key}"})
    assert other.status_code == 200  # each key has its own budget


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_limit_of_a_setting_applies(settings, clock, database, shop):
    """ "5 per minute;2 per hour": the hour's budget runs out first, and the headers tell of it."""
    app = limited_app(settings, clock, database, "5 per minute;2 per hour")
    _, key = create_api_key(app.extensions["paylink"], shop.id, "two limits")
    client = app.test_client()
    answers = [
        client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key}"}) for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert [answer.headers["X-RateLimit-Limit"] for answer in answers] == ["2", "2", "2"]
    assert answers[2].json["error"]["message"] == "rate limit exceeded: 2 per 1 hour"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rate_limits_hold_across_processes_with_redis(
    settings, clock, database, shop, redis_server
):
    one, two = (
        limited_app(settings, clock, database, "3 per minute", redis_server.url) for _ in range(2)
    )
    _, key = create_api_key(one.extensions["paylink"], shop.id, "shared")
    headers = {"Authorization": f"Bearer {key}"}
    clients = [one.test_client(), two.test_client()]
    statuses = [
        clients[n % 2].get("/api/v1/invoices", headers=headers).status_code for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_api_outlives_the_rate_limiter_s_redis(settings, clock, database, shop, tmp_path):
    """Redis gone (a socket nobody listens on): calls are answered, limited in the process's
    memory meanwhile, rather than failed with a 500."""
    app = limited_app(settings, clock, database, "3 per minute", f"redis+unix://{tmp_path}/x")
    _, key = create_api_key(app.extensions["paylink"], shop.id, "no redis")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [client.get("/api/v1/invoices", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_transfer_marked_by_hand_pays_the_invoice_once(client, auth):
    invoice_id = create(client, auth).json["id"]
    mark = {"amount": 2000, "reference": "VIR 2026-03-02 DUPONT", "method": "bank_transfer"}
    first = client.post(f"/api/v1/invoices/{invoice_id}/payments", json=mark, headers=auth)
    again = client.post(f"/api/v1/invoices/{invoice_id}/payments", json=mark, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["status"] == "partially_paid" and again.json["amount_paid"] == 2000
    rest = {"amount": 3180, "reference": "VIR 2026-03-05 DUPONT"}
    paid = client.post(f"/api/v1/invoices/{invoice_id}/payments", json=rest, headers=auth)
    assert paid.json["status"] == "paid" and paid.json["amount_due"] == 0
    for bad in (
        {"amount": 0, "reference": "x"},
        {"amount": 100},
        {"amount": "10.00", "reference": "x"},
        {"amount": 100, "reference": "x", "method": "bitcoin"},
    ):
        response = client.post(f"/api/v1/invoices/{invoice_id}/payments", json=bad, headers=auth)
        assert response.status_code == 422
    assert client.post("/api/v1/invoices/999/payments", json=mark, headers=auth).status_code == 404


def test_an_early_payment_discount_is_offered_until_its_deadline(client, auth, clock):

    created = create(
        client, auth, early_payment={"discount": 500, "until": "2026-03-05T18:00:00+01:00"}
    ).json
    assert created["early_payment"] == {
        "discount": 500,
        "until": "2026-03-05T17:00:00Z",
        "available": True,
    }
    assert created["amount_due"] == 5180  # the full price stands until the discount is earned
    clock.advance(days=4)
    later = client.get(f"/api/v1/invoices/{created['id']}", headers=auth).json
    assert later["early_payment"]["available"] is False


def test_planned_messages_show_a_sms_held_by_the_night(client, auth, clock, run_jobs):
    """Created at 22:00 in Paris: the API says at once that the SMS goes out at 08:00."""
    from datetime import UTC, datetime

    clock.now = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
    invoice_id = create(client, auth).json["id"]
    url = f"/api/v1/invoices/{invoice_id}/planned-messages"
    (first, reminder) = client.get(url, headers=auth).json["data"]
    assert (first["status"], first["reason"]) == ("sending", "due now: it goes out within moments")
    assert reminder["status"] == "next"
    run_jobs()  # the send job runs and waits for the morning
    held = client.get(url, headers=auth).json["data"][0]
    assert held["status"] == "held" and held["at"] == "2026-03-03T07:00:00+00:00"
    assert held["reason"] == "held until the sending hours open (quiet hours)"
    assert client.get("/api/v1/invoices/999/planned-messages", headers=auth).status_code == 404
