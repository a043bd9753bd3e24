"""The dashboard as a merchant reads it: the period's figures against the period before,
charts as SVG images beside their tables, a CSV of the days, the survey's answers and how
it is asked."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta

import pytest

from core.events import CustomerDetails, PaymentReceived
from core.money import Money
from core.satisfaction import SurveyAnswer
from core.services import accounts, invoice_creation, payments, survey
from core.services.daily_figures import refresh_merchant
from tests.support.console import csrf_token, sign_in
from tests.support.factories import order


@pytest.fixture
def history(ctx, clock, shop):
    """Three invoices a week ago (two paid, one with a comment), one last month."""
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    made = []
    for n in range(3):
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order(f"w-{n}"))
        made.append(invoice)
    for n, invoice in enumerate(made[:2]):
        clock.now += timedelta(hours=5)
        payments.record_payment(
            ctx, PaymentReceived("sandbox", f"p{n}", invoice.id, Money(7550, "EUR"), clock.now)
        )
    survey.answer_survey(ctx, made[0].link_code, SurveyAnswer(5, 4, 10, "Très pratique"))
    clock.now = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    invoice_creation.create_invoice(ctx, shop.id, order("older"))
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    refresh_merchant(ctx, shop.id)
    return made


def test_the_home_page_is_the_dashboard_with_its_figures(client, ctx, shop, history):
    sign_in(client, ctx, shop.id)
    assert client.get("/console/").headers["Location"].endswith("/console/dashboard")
    page = client.get("/console/dashboard?days=30").get_data(as_text=True)
    assert "Tableau de bord" in page
    assert "Taux de paiement" in page and "66,7\u00a0%" in page  # 2 of 3 paid, French spacing
    assert "151,00" in page  # collected
    assert "Très pratique" in page and "NPS 100" in page
    assert "Avant tout message" in page  # no worker ran: paid before any message went out
    # No message cost yet against 151,00 € collected: a share, in no particular currency.
    assert re.search(r'part de l&#39;encaissé</h2><p class="kpi-value">0\u00a0%</p>', page)


def test_charts_are_svg_images_with_nothing_to_run_or_fetch(client, ctx, shop, history):
    sign_in(client, ctx, shop.id)
    for chart in ("funnel", "collected"):
        answer = client.get(f"/console/dashboard/{chart}.svg?days=30")
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert b"<svg" in answer.data


def test_the_days_as_csv_and_a_custom_period(client, ctx, shop, history):
    sign_in(client, ctx, shop.id)
    exported = client.get("/console/dashboard/figures.csv?from=2026-11-23&to=2026-11-23")
    rows = exported.get_data(as_text=True).splitlines()
    assert rows[0].startswith("day,sent,viewed,started,paid")
    assert rows[1].startswith("2026-11-23,3,0,0,2")
    wrong = client.get("/console/dashboard?from=2026-12-01&to=2026-11-01")
    assert wrong.status_code == 422


def test_the_merchant_chooses_how_the_survey_is_asked(client, ctx, shop, history):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/dashboard").get_data(as_text=True)
    saved = client.post(
        "/console/dashboard/survey",
        data={"csrf_token": csrf_token(page), "mode": "separate", "delay_hours": "48"},
    )
    assert saved.status_code == 303
    page = client.get("/console/dashboard").get_data(as_text=True)
    assert re.search(r'<option (selected value="separate"|value="separate" selected)', page)
    assert 'value="48"' in page


def test_the_payment_rate_splits_by_store(client, ctx, clock, shop, history):
    store = accounts.connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"token": "x"})
    clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    invoice_creation.create_invoice(ctx, shop.id, order("s-1", store_id=store.id))
    clock.now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # older days: refreshed hourly
    refresh_merchant(ctx, shop.id)
    sign_in(client, ctx, shop.id)
    page = client.get("/console/dashboard?days=30").get_data(as_text=True)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td>', page)
    assert ("lune.myshopify.com", "1") in rows and ("API et console", "3") in rows


def test_spend_entered_by_month_gives_the_acquisition_cost(client, ctx, shop, history):
    sign_in(client, ctx, shop.id)

    def spend(month: str, channel: str, amount: str):
        page = client.get("/console/dashboard").get_data(as_text=True)
        data = {"csrf_token": csrf_token(page), "month": month, "channel": channel}
        return client.post("/console/dashboard/spend", data={**data, "amount": amount})

    assert spend("2026-11", "Instagram", "1 500,00").status_code == 303
    assert spend("2026-11", " Newsletter ", "30").status_code == 303
    page = client.get("/console/dashboard?days=30").get_data(as_text=True)
    # November whole (1,530 EUR) for the one customer whose first payment was this month
    assert "acquisition par nouveau client payant" in page
    assert re.search(r'kpi-value">1.530,00.€</p>', page)
    assert re.search(r"1.530,00.€ dépensés · nouveaux clients payants.: 1", page)
    assert "novembre 2026" in page and "Newsletter" in page
    spend("2026-11", "Newsletter", "0")  # removed
    assert "Newsletter" not in client.get("/console/dashboard?days=30").get_data(as_text=True)
    for month, channel, amount in (("2026-11", "x" * 61, "10"), ("2026-11", "Ads", "-3")):
        spend(month, channel, amount)
        assert "Instagram" in client.get("/console/dashboard").get_data(as_text=True)
    refused = spend("novembre", "Ads", "10")
    assert refused.status_code == 303
    page = client.get("/console/dashboard").get_data(as_text=True)
    assert "Dépense non enregistrée" in page and "Ads" not in page


def test_the_invoice_list_as_csv_keeps_its_filters_and_defuses_formulas(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    evil = CustomerDetails('=HYPERLINK("https://evil.example")', "a@example.fr", None, "fr")
    invoice_creation.create_invoice(ctx, shop.id, order("csv-1", customer=evil))
    for n in range(120):  # more than one page of the list
        invoice_creation.create_invoice(ctx, shop.id, order(f"csv-p-{n}"))
    exported = client.get("/console/invoices.csv")
    assert exported.mimetype == "text/csv"
    rows = exported.get_data(as_text=True).splitlines()
    assert rows[0].startswith("number,created_at,status,customer_name")
    assert len(rows) == 1 + 121
    names = [row[3] for row in csv.reader(rows[1:])]
    assert '\'=HYPERLINK("https://evil.example")' in names
    paid_only = client.get("/console/invoices.csv?status=paid").get_data(as_text=True)
    assert paid_only.splitlines() == rows[:1]


def test_pages_have_unique_ids_a_skip_link_the_current_menu_item_and_an_icon(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    home = client.get("/console/dashboard").get_data(as_text=True)
    nav = home.split("<nav", 1)[1].split("</nav>", 1)[0]
    menu = re.findall(r'<a href="(/console/[^"]+)"', nav)
    assert len(menu) == 6  # the daily pages and Settings; 12 entries wrapped on a phone
    settings = client.get("/console/settings").get_data(as_text=True)
    pages = re.findall(r'<li class="card"><a href="(/console/[^"]+)"', settings)
    assert len(pages) == 7
    for path in menu + pages:
        page = client.get(path).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), (path, [i for i in ids if ids.count(i) > 1])
        assert 'href="#main"' in page and '<main id="main">' in page
        assert page.count('aria-current="page"') == 1, path
    new_invoice = client.get("/console/invoices/new").get_data(as_text=True)
    assert '<a href="/console/invoices" aria-current="true">' in new_invoice  # its section
    branding = client.get("/console/branding").get_data(as_text=True)
    assert '<a href="/console/settings" aria-current="true">' in branding
    assert '<nav class="sub"' in branding and '<nav class="sub"' not in home + settings
    assert client.get("/favicon.ico").status_code == 301
    assert client.get("/static/favicon.svg").status_code == 200
