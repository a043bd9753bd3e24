"""The console's bank page as a merchant uses it: upload a statement, read the summary, settle
the queue by a suggestion or by numbers, set a line aside; another merchant's lines are 404."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest

from core.invoices import InvoiceStatus
from tests.support.bank import camt, invoice_of, merchant_with_account, with_bank_account
from tests.support.console import EMAIL, csrf_token, sign_in
from tests.support.providers import current


@pytest.fixture
def banked(ctx, clock, shop):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with_bank_account(ctx, shop)
    return shop


def upload(client, data: bytes, name="releve.xml", profile=""):
    page = client.get("/console/bank").get_data(as_text=True)
    return client.post(
        "/console/bank/statements",
        data={
            "csrf_token": csrf_token(page),
            "statement": (BytesIO(data), name),
            "csv_profile": profile,
        },
        content_type="multipart/form-data",
    )


def test_upload_then_pay_by_a_suggestion_and_see_who_decided(client, ctx, banked):
    for n in range(5):
        invoice_of(ctx, banked.id, "1000.00", f"Client {n}")
    lucie = invoice_of(ctx, banked.id, "50.00", "Lucie Bernard")
    sign_in(client, ctx, banked.id)
    done = upload(client, camt("camt.053.001.02.xml"))
    assert done.status_code == 303
    page = client.get("/console/bank").get_data(as_text=True)
    assert "Lignes lues\u00a0: 5 · réglées par virement\u00a0: 3 (214,20\u00a0€)" in page
    assert "en attente de votre décision\u00a0: 1." in page  # one, said right
    assert "De Bernard Lucie" in page and f"Régler {lucie.number}" in page
    assert "même montant, nom proche" in page
    line_id = page.split("/console/bank/lines/")[1].split("/")[0]
    paid = client.post(
        f"/console/bank/lines/{line_id}/match",
        data={"csrf_token": csrf_token(page), "invoices": lucie.number},
    )
    assert paid.status_code == 303
    assert current(ctx, lucie).status == InvoiceStatus.PAID
    after = client.get("/console/bank").get_data(as_text=True)
    assert "tout ce qui est arrivé a trouvé sa facture" in after
    assert f'Rapproché\u00a0: <span class="nowrap">{lucie.number}</span>' in after
    assert EMAIL in after
    assert "Paylink (référence citée)" in after


def test_a_refused_file_says_why_and_keeps_nothing(client, ctx, banked):
    sign_in(client, ctx, banked.id)
    refused = upload(client, camt("billion-laughs.xml"))
    assert refused.status_code == 422
    # In the merchant's language (the API and the CLI keep the English message).
    assert "le fichier déclare une DTD" in refused.get_data(as_text=True)
    csv = upload(client, b"Date;Libelle\n", name="export.csv")
    assert csv.status_code == 422
    assert "ce n&#39;est pas un relevé camt (XML)" in csv.get_data(as_text=True)


def test_numbers_typed_by_hand_split_a_transfer_and_a_wrong_one_is_explained(client, ctx, banked):
    first, second = (invoice_of(ctx, banked.id, total, "X") for total in ("94.20", "25.00"))
    sign_in(client, ctx, banked.id)
    upload(client, camt("camt.053.001.02.xml").replace(b"RF82F2026000001", b"RF00UNKNOWN"))
    page = client.get("/console/bank").get_data(as_text=True)
    card = next(card for card in page.split('class="card bank-line"') if "94,20" in card)
    line_id = card.split("/console/bank/lines/")[1].split("/")[0]
    wrong = client.post(
        f"/console/bank/lines/{line_id}/match",
        data={"csrf_token": csrf_token(page), "invoices": "F-2099-000001"},
    )
    assert wrong.status_code == 422 and "F-2099-000001" in wrong.get_data(as_text=True)
    client.post(
        f"/console/bank/lines/{line_id}/match",
        data={"csrf_token": csrf_token(page), "invoices": f"{first.number}, {second.number}"},
    )
    assert current(ctx, first).amount_paid == 94_20


def test_another_merchants_line_is_not_found(client, ctx, banked):
    sign_in(client, ctx, banked.id)
    upload(client, camt("camt.053.001.02.xml"))
    page = client.get("/console/bank").get_data(as_text=True)
    line_id = page.split("/console/bank/lines/")[1].split("/")[0]
    other = merchant_with_account(ctx, "Autre")
    client.post("/console/logout", data={"csrf_token": csrf_token(page)})
    from core.services.merchant_users import create_user

    create_user(ctx, other.id, "mallory@autre.fr", "Mallory", "correct horse battery")
    login = client.get("/console/login").get_data(as_text=True)
    client.post(
        "/console/login",
        data={
            "email": "mallory@autre.fr",
            "password": "correct horse battery",
            "csrf_token": csrf_token(login),
        },
    )
    theirs = client.get("/console/bank").get_data(as_text=True)
    answer = client.post(
        f"/console/bank/lines/{line_id}/ignore", data={"csrf_token": csrf_token(theirs)}
    )
    assert answer.status_code == 404


def test_the_same_statement_twice_counts_nothing_twice_and_says_so(client, ctx, banked):
    for n in range(5):
        invoice_of(ctx, banked.id, "1000.00", f"Client {n}")
    sign_in(client, ctx, banked.id)
    assert upload(client, camt("camt.053.001.02.xml")).status_code == 303
    client.get("/console/bank")  # the first summary, read
    assert upload(client, camt("camt.053.001.02.xml")).status_code == 303
    page = client.get("/console/bank").get_data(as_text=True)
    assert (
        "Lignes lues\u00a0: 0 · réglées par virement\u00a0: 0"
        " · en attente de votre décision\u00a0: 0."
        " Relevés déjà importés\u00a0: 1. Rien n&#39;a été compté deux fois."
    ) in page
