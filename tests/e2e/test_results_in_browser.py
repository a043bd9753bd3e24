"""The dashboard and the A/B tests page in headless Chromium, French and English, laptop and
phone, with a month of history: acquisition spend entered, an A/B test created from the form
and promoted; screenshots go to test-artifacts/results/, and no page is wider than the
phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.billing_rules import Conditions, Effects, Rule
from core.events import PaymentReceived
from core.message_templates import Part
from core.money import Money
from core.satisfaction import SurveyAnswer
from core.services import (
    billing,
    experiments,
    invoice_creation,
    payments,
    recurring,
    survey,
)
from core.services.daily_figures import refresh_merchant
from core.services.merchant_users import create_user
from tests.core.services.test_experiments import B
from tests.core.services.test_recurring import request as subscription_request
from tests.support.factories import order

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "results"


def subscription(lang: str):
    return subscription_request(f"abo-{lang}")


STARTED = {"fr": "Test lancé", "en": "Test started"}
PROMOTE = {"fr": "Adopter B pour tous", "en": "Use B for everyone"}
PROMOTED = {"fr": "B est maintenant votre texte", "en": "B is now your text"}
WORDS = {"fr": ("Mot de passe", "Se connecter", "Tableau de bord", "Tests A/B"),
         "en": ("Password", "Sign in", "Dashboard", "A/B tests")}  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_results_pages_read_well_on_a_laptop_and_a_phone(browser, shop_online, lang):
    ctx, shop, base_url = shop_online
    now = ctx.clock()
    for n in range(12):
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order(f"r-{lang}-{n}"))
        if n % 3:
            payments.record_payment(
                ctx,
                PaymentReceived("sandbox", f"p-{n}", invoice.id, Money(7550, "EUR"),
                                now + timedelta(hours=n)),
            )  # fmt: skip
        if n == 1:
            survey.answer_survey(ctx, invoice.link_code, SurveyAnswer(5, 4, 9, "Très simple"))
    refresh_merchant(ctx, shop.id)
    recurring.create_schedule(ctx, shop.id, subscription(lang))
    billing.set_rules(
        ctx, shop.id, [Rule("Pros", Conditions(min_total=100), Effects(channel="sms"))]
    )
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery", lang)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    password, sign_in, dashboard, tests = WORDS[lang]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=f"{lang}-FR")
    page.goto(f"{base_url}/console/login?lang={lang}")
    page.get_by_label("Email").fill("lea@boutique-lune.fr")
    page.get_by_label(password).fill("correct horse battery")
    page.get_by_role("button", name=sign_in).click()
    page.get_by_role("heading", name=dashboard).wait_for()
    spend_form = page.locator("form[action$='/dashboard/spend']")
    spend_form.locator("input[name=month]").fill(now.strftime("%Y-%m"))
    spend_form.locator("input[name=channel]").fill("Instagram")
    spend_form.locator("input[name=amount]").fill("120,00" if lang == "fr" else "120.00")
    spend_form.get_by_role("button").click()
    page.get_by_role("cell", name="Instagram").wait_for()
    # An experiment from creation to promotion, as the merchant does it.
    page.goto(f"{base_url}/console/experiments")
    new_test = page.locator("form[action$='/console/experiments']")
    new_test.locator("#sms").fill(B[Part.SMS])
    new_test.locator("#subject").fill(B[Part.SUBJECT])
    new_test.locator("#body").fill(B[Part.BODY])
    new_test.locator("#b_channel").select_option("email")
    new_test.locator("#b_percent").fill("45")
    new_test.get_by_role("button").click()
    page.get_by_text(STARTED[lang]).wait_for()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base_url}/console/dashboard")
        page.screenshot(path=str(ARTIFACTS / f"{lang}-{width}-dashboard.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"{base_url}/console/experiments")
        page.get_by_role("heading", name=tests, exact=True).wait_for()
        page.screenshot(path=str(ARTIFACTS / f"{lang}-{width}-experiments.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for name in ("recurring", "billing-rules"):  # tables scroll inside, the page does not
            page.goto(f"{base_url}/console/{name}")
            page.screenshot(path=str(ARTIFACTS / f"{lang}-{width}-{name}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.goto(f"{base_url}/console/experiments")
    page.get_by_role("button", name=PROMOTE[lang]).click()
    page.get_by_text(PROMOTED[lang]).wait_for()
    [experiment] = experiments.experiments_of(ctx, shop.id)
    assert (experiment.status, experiment.winner, experiment.b_channel) == ("stopped", "b", "email")
    page.close()
