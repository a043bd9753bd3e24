"""The payment page served again from the page cache: a repeat view runs one statement and no
rendering, and still shows every change the moment it is stored (payment, branding, methods,
time); a repeat view is the same response, compressed once."""

import re
from datetime import timedelta

from sqlalchemy import update

from core.services import invoice_creation, payments
from core.services.page_version import page_version
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Merchant
from tests.support.factories import order
from tests.support.sql_counts import counted_statements


def view(client, invoice, **params) -> str:
    response = client.get(f"/i/{invoice.link_code}", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def form_token(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_repeat_view_reads_at_most_one_statement_and_writes_nothing(client, ctx, invoice):
    """One read outside any transaction on SQLite; none on PostgreSQL, whose notices say
    when the page's rows change (`PageVersions`)."""
    view(client, invoice)
    view(client, invoice)
    with counted_statements(ctx.db.engine) as repeat:
        view(client, invoice)
    reads = 0 if ctx.db.engine.dialect.name == "postgresql" else 1
    assert len(repeat.statements) == reads and repeat.writes == [], repeat.statements


def test_a_repeat_view_is_the_same_response_and_its_form_token_pays(client, invoice):
    url = f"/i/{invoice.link_code}"
    first, second = client.get(url), client.get(url)
    assert first.get_data() == second.get_data()
    csp = "Content-Security-Policy"
    assert first.headers[csp] == second.headers[csp] and "nonce" not in first.headers[csp]
    paid = client.post(f"{url}/pay", data={"method": "sandbox", "token": form_token(second)})
    assert paid.status_code == 303, paid.get_data(as_text=True)


def test_a_repeat_view_is_compressed_once_per_encoding(client, ctx, shop, invoice, monkeypatch):
    import flask_compress.flask_compress as flask_compress

    compressed = []
    original = flask_compress._compress_data

    def counting(app, data, algorithm):
        compressed.append((algorithm, data))
        return original(app, data, algorithm)

    monkeypatch.setattr(flask_compress, "_compress_data", counting)
    url = f"/i/{invoice.link_code}"
    answers = [client.get(url, headers={"Accept-Encoding": e}) for e in ["gzip", "zstd"] * 3]
    assert [algorithm for algorithm, _ in compressed] == ["gzip", "zstd"]
    assert len({a.get_data() for a in answers}) == 2
    payments.record_manual_payment(ctx, shop.id, invoice.id, invoice.total, "vir-1", "x", None)
    paid = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert len(compressed) == 3 and "Payée".encode() in compressed[-1][1]
    assert paid.get_data() != answers[0].get_data()
    for _ in range(2):  # a page no view marked (its script has a nonce) is compressed each time
        client.get(f"{url}/return", headers={"Accept-Encoding": "gzip"})
    assert len(compressed) == 5


def test_a_payment_shows_at_once(client, ctx, shop, invoice):
    assert 'name="method"' in view(client, invoice)
    payments.record_manual_payment(ctx, shop.id, invoice.id, invoice.total, "vir-1", "x", None)
    html = view(client, invoice)
    assert 'name="method"' not in html and "Payée" in html


def test_branding_and_methods_show_at_once(client, ctx, env, shop, invoice):
    assert "Paiement de test" in view(client, invoice)
    with ctx.db.transaction() as session:
        session.get(Merchant, shop.id).brand_color = "#ffe14d"
    assert "--brand:#ffe14d" in view(client, invoice)
    configure_payment_account(ctx, env, shop.id, "sandbox", {}, False)
    assert "Paiement de test" not in view(client, invoice)


def test_each_language_is_its_own_page(client, invoice):
    assert '<html lang="fr">' in view(client, invoice)
    assert '<html lang="en">' in view(client, invoice, lang="en")
    assert '<html lang="fr">' in view(client, invoice)


def test_what_the_page_says_of_time_follows_the_clock(client, ctx, shop, clock, sandbox_account):
    flash, _ = invoice_creation.create_invoice(
        ctx, shop.id, order("f", expires_at=clock() + timedelta(hours=2, seconds=20))
    )
    assert "Offre valable encore 2\u00a0heures" in view(client, flash)
    clock.advance(minutes=50)
    assert re.search(r"Offre valable encore 70\s+minutes", view(client, flash))
    clock.advance(hours=1, minutes=10, seconds=10)  # 10 s before the end, in the same minute
    assert re.search(r"Offre valable encore 10\s+secondes", view(client, flash))
    clock.advance(seconds=10)  # the deadline, inside the minute the page was made in
    assert "Offre valable" not in view(client, flash)


def test_the_merchant_s_counters_do_not_throw_its_pages_away(ctx, shop, invoice):
    before = page_version(ctx, invoice.link_code)
    with ctx.db.transaction() as session:  # another invoice numbered, a refund's credit note
        session.execute(
            update(Merchant)
            .where(Merchant.id == shop.id)
            .values(
                last_invoice_sequence=Merchant.last_invoice_sequence + 1,
                last_credit_sequence=Merchant.last_credit_sequence + 1,
            )
        )
    assert page_version(ctx, invoice.link_code) == before
