"""The bank API: a statement as the raw body, the exceptions queue, decisions, CSV layouts,
with answers that fit the OpenAPI document and another merchant's lines out of reach."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jsonschema
import pytest

from core.services import invoice_creation, payments
from core.services.accounts import create_api_key
from core.services.acquisition import set_spend
from core.services.daily_figures import refresh_merchant
from tests.support.bank import camt, invoice_of, merchant_with_account, with_bank_account
from tests.support.factories import order


@pytest.fixture
def banked(ctx, shop):
    with_bank_account(ctx, shop)
    return shop


def fits(client, name, body):
    doc = client.get("/api/v1/openapi.json").json
    schema = {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def post_statement(client, auth, data, **query):
    return client.post(
        "/api/v1/bank-statements",
        headers={**auth, "Content-Type": "application/xml"},
        data=data,
        query_string=query,
    )


def test_import_then_decide_the_queue(client, auth, ctx, clock, banked):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a week before the statement
    for n in range(5):  # F-2026-000001 to 5, which the statement's references name
        invoice_of(ctx, banked.id, "1000.00", f"Client {n}")
    target = invoice_of(ctx, banked.id, "50.00", "Lucie Bernard")
    answer = post_statement(client, auth, camt("camt.053.001.02.xml"))
    assert answer.status_code == 201, answer.json
    fits(client, "BankImportOut", answer.json)
    assert (answer.json["lines"], answer.json["matched"], answer.json["unmatched"]) == (5, 3, 1)
    queue = client.get("/api/v1/bank-lines", headers=auth)
    fits(client, "BankLineList", queue.json)
    lucie = next(line for line in queue.json["data"] if line["payer"] == "Bernard Lucie")
    assert lucie["suggestions"][0]["number"] == target.number
    matched = client.post(
        f"/api/v1/bank-lines/{lucie['id']}/match",
        headers=auth,
        json={"invoices": [target.number]},
    )
    assert matched.status_code == 200, matched.json
    assert (matched.json["state"], matched.json["invoices"]) == ("matched", [target.number])
    assert matched.json["decided_by"] == "API"
    again = client.post(f"/api/v1/bank-lines/{lucie['id']}/ignore", headers=auth)
    assert again.status_code == 409


def test_bad_files_are_422_with_the_reason_and_nothing_is_kept(client, auth, banked):
    answer = post_statement(client, auth, camt("external-entity.xml"))
    assert answer.status_code == 422
    assert "declares a DTD" in answer.json["error"]["message"]
    csv = post_statement(client, auth, b"Date;Montant\n01/12/2026;10,00\n")
    assert csv.status_code == 422 and "needs the profile" in csv.json["error"]["message"]
    unknown = post_statement(client, auth, b"x", csv_profile="nope")
    assert (
        unknown.status_code == 422 and "no CSV profile 'nope'" in unknown.json["error"]["message"]
    )
    assert client.get("/api/v1/bank-lines", headers=auth).json["data"] == []


def test_a_saved_csv_layout_is_named_at_import(client, auth, ctx, banked):
    saved = client.put(
        "/api/v1/bank-csv-profiles/ma-banque",
        headers=auth,
        json={"date": "Jour", "label": ["Motif"], "amount": "Montant"},
    )
    assert saved.status_code == 200, saved.json
    answer = post_statement(
        client,
        auth,
        b"Jour;Motif;Montant\n30/11/2026;VIR F-2026-000001;10,00\n",
        csv_profile="ma-banque",
    )
    assert answer.status_code == 201 and answer.json["lines"] == 1


def test_another_merchants_lines_are_out_of_reach(client, ctx, auth, banked):
    post_statement(client, auth, camt("camt.053.001.02.xml"))
    other = merchant_with_account(ctx, "Autre")
    _, key = create_api_key(ctx, other.id, "other")
    theirs = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/bank-lines", headers=theirs).json["data"] == []
    mine = client.get("/api/v1/bank-lines", headers=auth).json["data"][0]
    invoice = invoice_of(ctx, other.id, "50.00", "X")
    for path, body in (("match", {"invoices": [invoice.number]}), ("ignore", None)):
        answer = client.post(f"/api/v1/bank-lines/{mine['id']}/{path}", headers=theirs, json=body)
        assert answer.status_code == 404


def test_the_metrics_summary_fits_its_schema_and_counts_the_period(client, ctx, clock, auth, shop):
    clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("m-1"))
    payments.record_manual_payment(ctx, shop.id, invoice.id, invoice.total, "t-1", "cash", None)
    set_spend(ctx, shop.id, date(2026, 11, 1), "Instagram", 12_000, "marie@example.fr")
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    refresh_merchant(ctx, shop.id)
    answer = client.get("/api/v1/metrics/summary?days=30", headers=auth)
    assert answer.status_code == 200, answer.json
    fits(client, "MetricsSummary", answer.json)
    current = answer.json["current"]
    assert (answer.json["start"], current["sent"], current["paid"]) == ("2026-11-01", 1, 1)
    assert current["new_paying_customers"] == 1 and current["acquisition_cost"] == 12_000
    assert current["acquisition_spend"] == {"Instagram": 12_000}
    assert current["by_method"] == {"cash": {"tried": 0, "paid": 1}}
    wrong = client.get("/api/v1/metrics/summary?start=2026-12-01&end=2026-11-01", headers=auth)
    assert wrong.status_code == 422
