"""The payment page as a customer's phone gets it, and the sandbox paying it end to end."""

import base64
import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from core.errors import ValidationError
from core.services import invoice_creation, invoicing, payments
from core.services.invoice_queries import invoice_timeline
from core.web import create_app
from tests.support.factories import order
from tests.support.live_server import free_port, serving
from tests.support.sql_counts import counted_statements

WEIGHT_LIMIT = 50 * 1024


def page(client, invoice, suffix="", **params):
    return client.get(f"/i/{invoice.link_code}{suffix}", query_string=params)


def form_token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_page_shows_the_invoice_in_the_customer_s_language(client, invoice):
    response = page(client, invoice)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr">' in html
    assert "75,50\u00a0€" in html and "Boutique Lune" in html
    assert "Montant à régler" in html and "Article 1" in html and "Livraison" in html
    assert "Paiement de test (sandbox)" in html
    english = page(client, invoice, lang="en").get_data(as_text=True)
    assert '<html lang="en">' in english and "€75.50" in english and "Amount due" in english


def test_the_first_view_is_recorded_and_a_repeat_view_writes_nothing(client, ctx, invoice):
    page(client, invoice)
    with counted_statements(ctx.db.engine) as repeat:
        assert page(client, invoice).status_code == 200
    kinds = [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]
    assert kinds.count("viewed") == 1
    # One statement (the page cache's version check), no write.
    assert repeat.writes == [] and len(repeat.statements) == 1, repeat.statements


def test_the_first_view_is_recorded_once_whatever_races(client, ctx, invoice):
    from core.services import invoicing

    for _ in range(3):  # first views that all read `viewed_at` empty
        invoicing._record_first_view(ctx, invoice)
    kinds = [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]
    assert kinds.count("viewed") == 1


def style_source(html):
    """The CSP hash source of the page's one style element."""
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    return "sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()


def test_the_page_is_light_self_contained_and_locked_down(client, invoice):
    response = page(client, invoice)
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.get_data()) < WEIGHT_LIMIT  # its stylesheet inside: one request
    assert '<link rel="stylesheet"' not in html and ".brand{" in html
    assert "<script" not in html and "@import" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self' https://pay.example" in csp
    assert f"style-src 'self' '{style_source(html)}';" in csp and "nonce" not in csp
    assert ".brand{" in page(client, invoice, "/return").get_data(as_text=True)  # every page


def test_the_page_travels_compressed_the_console_does_not(client, invoice):
    import gzip

    plain = page(client, invoice).get_data()
    squeezed = client.get(f"/i/{invoice.link_code}", headers={"Accept-Encoding": "gzip"})
    assert squeezed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    html = gzip.decompress(squeezed.get_data())
    assert len(squeezed.get_data()) < len(html) / 2 and b"75,50\xc2\xa0\xe2\x82\xac" in html
    assert html == plain
    zstd = client.get(f"/i/{invoice.link_code}", headers={"Accept-Encoding": "zstd, br, gzip"})
    assert zstd.headers["Content-Encoding"] == "zstd"
    # The console mixes a merchant's searches with its form token and customers' data: BREACH.
    console = client.get("/console/login", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in console.headers


def test_unknown_and_malformed_codes_get_the_same_404(client, invoice):
    unknown = client.get("/i/AAAAAAAAAAAA")
    malformed = client.get("/i/not-a-code")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.get_data() == malformed.get_data()
    assert "text/html" in unknown.content_type


def test_a_light_brand_colour_gets_dark_text(client, ctx, invoice):
    from core.storage.models import Merchant

    with ctx.db.transaction() as session:
        session.get(Merchant, invoice.merchant_id).brand_color = "#ffe14d"
    html = page(client, invoice).get_data(as_text=True)
    assert "--brand:#ffe14d;--on-brand:#111111" in html


def test_choosing_a_method_redirects_303_to_a_fresh_checkout(client, ctx, invoice):
    token = form_token(page(client, invoice).get_data(as_text=True))
    first = client.post(f"/i/{invoice.link_code}/pay", data={"token": token, "method": "sandbox"})
    second = client.post(f"/i/{invoice.link_code}/pay", data={"token": token, "method": "sandbox"})
    assert first.status_code == second.status_code == 303
    assert first.location.startswith("https://pay.example/sandbox/checkout/")
    assert first.location != second.location  # each visit, a new provider session
    kinds = [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]
    assert kinds.count("checkout_started") == 2


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"method": "sandbox"}, 400),
        ({"token": "forged", "method": "sandbox"}, 400),
        ({"method": "paypal"}, 409),
        ({"method": "bitcoin"}, 400),
    ],
)
def test_bad_pay_requests_are_refused_with_a_reason(client, invoice, data, status):
    if "token" not in data and data["method"] in ("paypal", "bitcoin"):
        data = {**data, "token": form_token(page(client, invoice).get_data(as_text=True))}
    response = client.post(f"/i/{invoice.link_code}/pay", data=data)
    assert response.status_code == status


def test_a_form_token_only_pays_its_own_invoice(client, ctx, shop, invoice):
    other, _ = invoice_creation.create_invoice(ctx, shop.id, order("other"))
    token = form_token(page(client, other).get_data(as_text=True))
    response = client.post(
        f"/i/{invoice.link_code}/pay", data={"token": token, "method": "sandbox"}
    )
    assert response.status_code == 400


def test_paid_void_and_expired_invoices_offer_no_payment(client, ctx, shop, clock, sandbox_account):
    void, _ = invoice_creation.create_invoice(ctx, shop.id, order("v"))
    invoicing.void_invoice(ctx, shop.id, void.id, "")
    flash, _ = invoice_creation.create_invoice(
        ctx,
        shop.id,
        order("f", expires_at=clock() + timedelta(hours=2), due_at=clock() + timedelta(days=1)),
    )
    flash_html = page(client, flash).get_data(as_text=True)
    assert "Offre valable encore 2\u00a0heures" in flash_html
    clock.advance(hours=3)
    invoicing.expire_invoice(ctx, shop.id, flash.id)
    for invoice in (void, flash):
        html = page(client, invoice).get_data(as_text=True)
        assert 'name="method"' not in html and "ne peut plus être réglée" in html


def test_the_return_url_alone_never_marks_anything_paid(client, invoice):
    response = page(client, invoice, "/return")
    html = response.get_data(as_text=True)
    assert "Paiement en cours de confirmation" in html and 'http-equiv="refresh"' not in html
    assert "À payer" in page(client, invoice).get_data(as_text=True)


def test_the_return_page_asks_again_by_itself_and_on_demand(client, invoice):
    """No meta refresh (a page moving under a screen reader): its own nonce'd script asks after
    3, 5, 10, then every 30 s, and a "check now" link does it at once; nothing else may run."""
    response = page(client, invoice, "/return")
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f"script-src 'nonce-{nonce}'" in csp and "connect-src 'self'" in csp
    assert f'<script nonce="{nonce}">' in html and "[3, 5, 10, 30]" in html
    assert "Vérifier maintenant" in html and f'href="/i/{invoice.link_code}/return"' in html
    assert f"style-src 'self' '{style_source(html)}';" in csp
    assert "script-src" not in page(client, invoice).headers["Content-Security-Policy"]


def test_the_receipt_names_the_method_and_the_page_the_amount(client, ctx, shop, invoice):
    assert "Payer 75,50\u00a0€ par" in page(client, invoice).get_data(as_text=True)
    assert 'hreflang="en" lang="en">English' in page(client, invoice).get_data(as_text=True)
    payments.record_manual_payment(ctx, shop.id, invoice.id, invoice.total, "t-1", "cheque", None)
    receipt = page(client, invoice, "/receipt").get_data(as_text=True)
    assert "· Chèque" in receipt and "cheque" not in receipt


@pytest.fixture
def live(settings, clock, database):
    """The app on a real port, its base URL pointing at itself (the sandbox posts there)."""
    port = free_port()
    app = create_app(replace(settings, base_url=f"http://127.0.0.1:{port}"), clock, database)
    with serving(app, port):
        yield app


def test_sandbox_payment_end_to_end_through_a_signed_webhook(live, clock):
    from core.jobs import JobQueue, Worker
    from core.services.job_handlers import core_handlers
    from core.services.payment_accounts import configure_payment_account
    from tests.support.factories import merchant

    ctx, env = live.extensions["paylink"], live.extensions["paylink.providers"]
    shop = merchant(ctx)
    configure_payment_account(ctx, env, shop.id, "sandbox", {})
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    client = live.test_client()
    token = form_token(page(client, invoice).get_data(as_text=True))
    checkout_url = client.post(
        f"/i/{invoice.link_code}/pay", data={"token": token, "method": "sandbox"}
    ).location
    sandbox_path = checkout_url.removeprefix(env.base_url)
    sandbox_page = client.get(sandbox_path)
    assert "Payer 75,50\u00a0€" in sandbox_page.get_data(as_text=True)  # the customer's language
    assert "Pay €75.50" in client.get(f"{sandbox_path}?lang=en").get_data(as_text=True)
    assert "default-src 'none'" in sandbox_page.headers["Content-Security-Policy"]
    back = client.post(sandbox_path, data={"outcome": "payment.succeeded"})
    assert back.status_code == 303 and back.location.endswith(f"/i/{invoice.link_code}/return")
    assert invoicing.load_invoice_by_id(ctx, shop.id, invoice.id).status.value == "open"
    Worker(JobQueue(ctx.db, clock), core_handlers(ctx, env)).run(until_idle=True)
    paid = invoicing.load_invoice_by_id(ctx, shop.id, invoice.id)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)
    assert "Paiement reçu" in page(client, invoice, "/return").get_data(as_text=True)
    receipt = page(client, invoice, "/receipt").get_data(as_text=True)
    assert "Reçu de paiement" in receipt and "75,50\u00a0€" in receipt


def test_bank_transfer_shows_iban_reference_and_epc_qr(client, ctx, env, shop, invoice):
    from core.services.payment_accounts import configure_payment_account

    configure_payment_account(
        ctx,
        env,
        shop.id,
        "bank_transfer",
        {"beneficiary": "Boutique Lune", "iban": "FR7630006000011234567890189"},
    )
    html = page(client, invoice).get_data(as_text=True)
    assert "Virement bancaire" in html
    response = client.post(
        f"/i/{invoice.link_code}/pay", data={"token": form_token(html), "method": "bank_transfer"}
    )
    assert response.status_code == 303
    assert response.location == f"https://pay.example/i/{invoice.link_code}/transfer"
    transfer = page(client, invoice, "/transfer").get_data(as_text=True)
    assert "FR76 3000 6000 0112 3456 7890 189" in transfer and "75,50\u00a0€" in transfer
    from core.payments.bank_transfer import creditor_reference, grouped

    assert grouped(creditor_reference(invoice.number)) in transfer and "<svg" in transfer
    assert len(transfer.encode()) < WEIGHT_LIMIT
    with pytest.raises(ValidationError, match="bank details"):
        configure_payment_account(
            ctx,
            env,
            shop.id,
            "bank_transfer",
            {"beneficiary": "X", "iban": "FR7630006000011234567890188"},
        )


def test_an_early_payment_discount_is_shown_charged_and_earned(live, clock):
    from core.jobs import JobQueue, Worker
    from core.services.job_handlers import core_handlers
    from core.services.payment_accounts import configure_payment_account
    from tests.support.factories import eur, merchant

    ctx, env = live.extensions["paylink"], live.extensions["paylink.providers"]
    shop = merchant(ctx)
    configure_payment_account(ctx, env, shop.id, "sandbox", {})
    invoice, _ = invoice_creation.create_invoice(
        ctx,
        shop.id,
        order(early_discount=eur("4.00"), early_discount_until=clock() + timedelta(days=2)),
    )
    client = live.test_client()
    html = page(client, invoice).get_data(as_text=True)
    assert "71,50\u00a0€" in html and "(au lieu de 75,50\u00a0€)" in html
    assert "Remise de 4,00\u00a0€ pour un paiement complet avant le 4 mars 2026 10:30" in html
    checkout_url = client.post(
        f"/i/{invoice.link_code}/pay", data={"token": form_token(html), "method": "sandbox"}
    ).location
    sandbox_path = checkout_url.removeprefix(env.base_url)
    assert "Payer 71,50\u00a0€" in client.get(sandbox_path).get_data(as_text=True)
    client.post(sandbox_path, data={"outcome": "payment.succeeded"})
    Worker(JobQueue(ctx.db, clock), core_handlers(ctx, env)).run(until_idle=True)
    paid = invoicing.load_invoice_by_id(ctx, shop.id, invoice.id)
    assert (paid.status.value, paid.total, paid.discount, paid.amount_paid) == (
        "paid",
        7150,
        400,
        7150,
    )
    kinds = [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)]
    assert "early_discount_earned" in kinds


@pytest.mark.parametrize(
    ("headers", "query", "lang", "said"),
    [
        ({"Accept-Language": "fr-FR,fr;q=0.9"}, "", "fr", "Vérifiez-le"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "", "en", "This link does not exist"),
        ({"Accept-Language": "de-DE"}, "", "fr", "Lien introuvable"),
        ({"Accept-Language": "fr-FR"}, "?lang=en", "en", "Link not found"),
    ],
)
def test_a_wrong_link_is_a_small_page_in_the_customer_s_language(
    client, headers, query, lang, said
):
    answer = client.get(f"/i/AAAAAAAAAAAA{query}", headers=headers)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and f'<html lang="{lang}">' in html and said in html
    assert "requested URL" not in html
