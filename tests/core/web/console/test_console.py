"""The console through the Flask test client: sign-in, every form valid and invalid, CSRF
missing, and another merchant's invoice answering 404."""

import re
from datetime import UTC, datetime
from io import BytesIO

import pytest
from sqlalchemy import select

from core.services import invoice_creation, invoicing
from core.services.merchant_users import change_password, create_user
from core.storage.models import Merchant, Message
from tests.support.factories import merchant, order

PASSWORD = "correct horse battery"
# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def user(ctx, shop):
    return create_user(ctx, shop.id, "Owner@Boutique-Lune.fr", "Léa", PASSWORD)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, email="owner@boutique-lune.fr", password=PASSWORD):
    page = client.get("/console/login").get_data(as_text=True)
    return client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": csrf(page)}
    )


@pytest.fixture
def signed_in(client, user):
    assert sign_in(client).status_code == 303
    return client


def test_pages_need_a_signed_in_user(client):
    response = client.get("/console/invoices")
    assert response.status_code == 302 and "/console/login" in response.location


def test_sign_in_with_the_right_password_only(client, user):
    wrong = sign_in(client, password="not the password")
    assert wrong.status_code == 401 and "incorrect" in wrong.get_data(as_text=True)
    unknown = sign_in(client, email="nobody@example.fr")
    assert unknown.status_code == 401
    assert sign_in(client, email="OWNER@boutique-lune.fr").status_code == 303
    page = client.get("/console/invoices")
    assert page.status_code == 200 and "Factures" in page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_a_form_without_its_csrf_token_is_refused(client, user):
    response = client.post(
        "/console/login", data={"email": "owner@boutique-lune.fr", "password": PASSWORD}
    )
    assert response.status_code == 400 and "expiré" in response.get_data(as_text=True)


def test_a_blank_form_gets_messages_next_to_the_fields(client, user):
    page = client.get("/console/login").get_data(as_text=True)
    response = client.post("/console/login", data={"csrf_token": csrf(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="email-error"' in html


def test_a_password_change_ends_every_session(signed_in, ctx, user):
    assert signed_in.get("/console/invoices").status_code == 200
    change_password(ctx, user.id, "another long password")
    assert signed_in.get("/console/invoices").status_code == 302


def test_sign_out_needs_the_form(signed_in):
    page = signed_in.get("/console/invoices").get_data(as_text=True)
    assert signed_in.post("/console/logout").status_code == 400
    assert signed_in.post("/console/logout", data={"csrf_token": csrf(page)}).status_code == 303
    assert signed_in.get("/console/invoices").status_code == 302


def test_invoices_list_filters_and_search(signed_in, ctx, shop):
    first, _ = invoice_creation.create_invoice(ctx, shop.id, order("a"))
    second, _ = invoice_creation.create_invoice(ctx, shop.id, order("b"))
    invoicing.void_invoice(ctx, shop.id, second.id, "test")
    html = signed_in.get("/console/invoices").get_data(as_text=True)
    assert first.number in html and second.number in html
    voided = signed_in.get("/console/invoices?status=void").get_data(as_text=True)
    assert second.number in voided and first.number not in voided
    by_number = signed_in.get(f"/console/invoices?q={first.number.lower()}").get_data(as_text=True)
    assert first.number in by_number and second.number not in by_number
    by_email = signed_in.get("/console/invoices?q=MARIE@example.fr").get_data(as_text=True)
    assert first.number in by_email
    by_name = signed_in.get("/console/invoices?q=curi").get_data(as_text=True)
    assert first.number in by_name
    assert "Aucune facture" in signed_in.get("/console/invoices?q=100%25").get_data(as_text=True)


def test_another_merchant_s_invoice_is_a_404(signed_in, ctx):
    other = merchant(ctx, "Atelier Soleil")
    theirs, _ = invoice_creation.create_invoice(ctx, other.id, order())
    assert signed_in.get(f"/console/invoices/{theirs.id}").status_code == 404
    page = signed_in.get("/console/invoices").get_data(as_text=True)
    response = signed_in.post(
        f"/console/invoices/{theirs.id}/void", data={"csrf_token": csrf(page), "reason": "x"}
    )
    assert response.status_code == 404
    assert invoicing.load_invoice_by_id(ctx, other.id, theirs.id).status.value == "open"


def test_an_invoice_s_lines_add_up_to_its_total_and_mark_paid_offers_what_is_due(
    signed_in, ctx, shop
):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())  # 70,60 + 4,90 shipping
    page = signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert 'Livraison</td><td class="num">4,90\u00a0€' in page
    assert 'Total</th><td class="num"><strong>75,50\u00a0€' in page
    assert re.search(r'<input[^>]*name="amount"[^>]*value="75,50"', page)


def test_mark_paid_by_hand_valid_and_invalid(signed_in, ctx, shop):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    page = signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    token = csrf(page)
    bad = signed_in.post(
        f"/console/invoices/{invoice.id}/payments",
        data={"csrf_token": token, "amount": "75.505", "reference": "VIR-1", "method": "cheque"},
    )
    assert bad.status_code == 422 and "a plus de 2 décimales pour EUR" in bad.get_data(as_text=True)
    missing = signed_in.post(
        f"/console/invoices/{invoice.id}/payments",
        data={"csrf_token": token, "amount": "75,50", "method": "cheque"},
    )
    assert missing.status_code == 422 and 'id="reference-error"' in missing.get_data(as_text=True)
    good = signed_in.post(
        f"/console/invoices/{invoice.id}/payments",
        data={
            "csrf_token": token,
            "amount": "75,50",
            "reference": "VIR-1",
            "method": "bank_transfer",
        },
    )
    assert good.status_code == 303
    assert invoicing.load_invoice_by_id(ctx, shop.id, invoice.id).status.value == "paid"
    page = signed_in.get(good.location).get_data(as_text=True)
    assert "Paiement enregistré" in page and "Virement, saisi à la main" in page
    assert "manual" not in page and "bank_transfer" not in page.split("<select")[0]


def test_void_needs_a_reason_then_voids(signed_in, ctx, shop):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    token = csrf(signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True))
    empty = signed_in.post(f"/console/invoices/{invoice.id}/void", data={"csrf_token": token})
    assert empty.status_code == 422
    voided = signed_in.post(
        f"/console/invoices/{invoice.id}/void", data={"csrf_token": token, "reason": "doublon"}
    )
    assert voided.status_code == 303
    assert invoicing.load_invoice_by_id(ctx, shop.id, invoice.id).status.value == "void"
    timeline = signed_in.get(voided.location).get_data(as_text=True)
    assert "Créée" in timeline and "Annulée · doublon" in timeline  # in the user's words


def test_resend_queues_a_new_message_of_its_own(signed_in, ctx, shop, run_jobs):
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    run_jobs()
    token = csrf(signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True))
    assert signed_in.post(f"/console/invoices/{invoice.id}/resend").status_code == 400
    response = signed_in.post(f"/console/invoices/{invoice.id}/resend", data={"csrf_token": token})
    assert response.status_code == 303
    run_jobs()
    with ctx.db.transaction() as session:
        steps = [m.step for m in session.scalars(select(Message).order_by(Message.id))]
    assert steps[0] == "invoice" and steps[1].startswith("resend-1-")
    log = signed_in.get("/console/messages").get_data(as_text=True)
    assert "Bonjour Marie" in log and "160 caractères par SMS" in log and "gsm7" not in log


def test_branding_saves_name_colour_and_a_checked_logo(signed_in, ctx, shop, client):
    token = csrf(signed_in.get("/console/branding").get_data(as_text=True))
    wrong_colour = signed_in.post(
        "/console/branding", data={"csrf_token": token, "name": "Lune", "brand_color": "blue"}
    )
    assert wrong_colour.status_code == 422
    not_an_image = signed_in.post(
        "/console/branding",
        data={
            "csrf_token": token,
            "name": "Lune",
            "brand_color": "#f5d90a",
            "logo": (BytesIO(b"<svg onload=alert(1)>"), "logo.svg"),
        },
        content_type="multipart/form-data",
    )
    assert not_an_image.status_code == 422 and "PNG, JPEG" in not_an_image.get_data(as_text=True)
    saved = signed_in.post(
        "/console/branding",
        data={
            "csrf_token": token,
            "name": "Boutique Lune",
            "brand_color": "#F5D90A",
            "logo": (BytesIO(PNG), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 303
    with ctx.db.transaction() as session:
        stored = session.get(Merchant, shop.id)
    assert stored.brand_color == "#f5d90a" and stored.logo_url.startswith(
        "https://pay.example/logos/"
    )
    logo = client.get(stored.logo_url.removeprefix("https://pay.example"))
    assert (
        logo.status_code == 200
        and logo.data == PNG
        and "immutable" in logo.headers["Cache-Control"]
    )
    page = signed_in.get("/console/branding").get_data(as_text=True)
    assert "très claire sur fond blanc (1.4:1" in page  # yellow buttons fade on white
    assert client.get("/logos/../secrets.json").status_code == 404


def test_sign_in_attempts_are_limited_per_address(app, client, user):
    from dataclasses import replace

    from core.web import create_app

    settings = replace(app.config["PAYLINK_SETTINGS"], login_rate_limit="3 per minute")
    limited = create_app(settings, database=app.extensions["paylink"].db).test_client()
    answers = [sign_in(limited, password="guess") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The sign-in form again, saying why in the merchant's words, not an error page.
    page = refused.get_data(as_text=True)
    assert "Trop de tentatives depuis cette adresse : réessayez dans 1 min." in page
    assert 'name="password"' in page
    # The page itself is never refused: only the form's attempts count.
    assert limited.get("/console/login").status_code == 200


def test_create_an_invoice_from_the_console(signed_in, ctx, shop, run_jobs):
    token = csrf(signed_in.get("/console/invoices/new").get_data(as_text=True))
    fields = {
        "csrf_token": token,
        "customer_name": "Marie Curie",
        "customer_phone": "06 12 34 56 78",
        "customer_locale": "fr",
        "lines-0-label": "Bougie parfumée",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "18,50",
        "shipping": "4,90",
    }
    bad_price = signed_in.post(
        "/console/invoices/new", data={**fields, "lines-0-unit_price": "18,505"}
    )
    assert bad_price.status_code == 422 and "décimales" in bad_price.get_data(as_text=True)
    no_contact = signed_in.post("/console/invoices/new", data={**fields, "customer_phone": ""})
    assert no_contact.status_code == 422
    no_line = signed_in.post("/console/invoices/new", data={**fields, "lines-0-label": ""})
    assert no_line.status_code == 422 and "at least one line" in no_line.get_data(as_text=True)
    created = signed_in.post("/console/invoices/new", data=fields)
    assert created.status_code == 303
    page = signed_in.get(created.location).get_data(as_text=True)
    assert "41,90" in page and "Bougie parfumée" in page
    run_jobs()
    assert "votre facture Boutique Lune de 41,90 €" in signed_in.get("/console/messages").get_data(
        as_text=True
    )


def test_templates_are_checked_saved_previewed_and_reset(signed_in, ctx, shop):
    page = signed_in.get("/console/templates?kind=reminder&locale=fr").get_data(as_text=True)
    assert "petit rappel" in page and 'data-meter="segments">1<' in page
    token = csrf(page)
    fields = {
        "csrf_token": token,
        "kind": "reminder",
        "locale": "fr",
        "sms": "{{ first_name }}, ça reste à payer : {{ link }}",
        "subject": "Rappel {{ invoice_number }}",
        "body": "Bonjour {{ customer_iban }}",
    }
    refused = signed_in.post("/console/templates", data=fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "customer_iban" in html
    saved = signed_in.post(
        "/console/templates", data={**fields, "body": "Bonjour {{ first_name }}"}
    )
    assert saved.status_code == 303
    page = signed_in.get(saved.location).get_data(as_text=True)
    assert "ça reste à payer" in page and 'data-meter="encoding">ucs2<' in page
    preview = signed_in.post(
        "/console/templates/preview",
        json={"text": "Bonjour {{ first_name }} " + "x" * 200},
        headers={"X-CSRFToken": token},
    )
    assert preview.status_code == 200
    measured = preview.json
    assert (measured["segments"], measured["segments_word"], measured["encoding"]) == (
        2,
        "segments",
        "gsm7",
    )
    assert measured["cost"] == "0,10\u00a0€"  # the user's locale
    single = signed_in.post(
        "/console/templates/preview", json={"text": "Bonjour"}, headers={"X-CSRFToken": token}
    )
    assert single.json["segments_word"] == "segment"
    assert signed_in.post("/console/templates/preview", json={"text": "x"}).status_code == 400
    bad = signed_in.post(
        "/console/templates/preview", json={"text": "{{ oops"}, headers={"X-CSRFToken": token}
    )
    assert bad.status_code == 422 and "ligne 1" in bad.json["error"]
    reset = signed_in.post(
        "/console/templates/reset", data={"csrf_token": token, "kind": "reminder", "locale": "fr"}
    )
    assert reset.status_code == 303
    assert "petit rappel" in signed_in.get(reset.location).get_data(as_text=True)


def test_the_reminder_schedule_editor(signed_in, ctx, shop):
    page = signed_in.get("/console/reminders").get_data(as_text=True)
    assert 'value="reminder-2"' in page
    token = csrf(page)
    fields = {
        "csrf_token": token,
        "steps-0-name": "invoice",
        "steps-0-anchor": "sent",
        "steps-0-offset": "PT0S",
        "steps-0-channel": "auto",
        "steps-0-template": "invoice",
        "steps-1-name": "before",
        "steps-1-anchor": "due",
        "steps-1-offset": "P1M",
        "steps-1-channel": "sms",
        "steps-1-template": "reminder",
    }
    refused = signed_in.post("/console/reminders", data=fields)
    assert (
        refused.status_code == 422
        and "étape 2 : « P1M » : utilisez des jours et des heures, pas des mois"
        in refused.get_data(as_text=True)
    )
    saved = signed_in.post("/console/reminders", data={**fields, "steps-1-offset": "-P2D"})
    assert saved.status_code == 303
    from core.services.message_settings import reminder_policy

    assert [s.name for s in reminder_policy(ctx, shop.id).steps] == ["invoice", "before"]
    reset = signed_in.post("/console/reminders/reset", data={"csrf_token": token})
    assert reset.status_code == 303 and len(reminder_policy(ctx, shop.id).steps) == 4


def test_the_abandoned_cart_delay(signed_in, ctx, shop):
    from core.services.carts import cart_delay

    page = signed_in.get("/console/reminders").get_data(as_text=True)
    assert 'name="minutes"' in page and 'value="60"' in page
    token = csrf(page)
    refused = signed_in.post(
        "/console/reminders/cart-delay", data={"csrf_token": token, "minutes": "5"}
    )
    assert refused.status_code == 422 and 'id="minutes-error"' in refused.get_data(as_text=True)
    assert (
        signed_in.post("/console/reminders/cart-delay", data={"minutes": "30"}).status_code == 400
    )
    saved = signed_in.post(
        "/console/reminders/cart-delay", data={"csrf_token": token, "minutes": "30"}
    )
    assert saved.status_code == 303 and cart_delay(ctx, shop.id) == 30


def test_the_sms_hours(signed_in, ctx, shop):
    from core.services.message_settings import sms_hours

    page = signed_in.get("/console/reminders").get_data(as_text=True)
    token = csrf(page)
    assert 'name="opens"' in page and 'value="8"' in page and 'value="20"' in page
    reversed_hours = signed_in.post(
        "/console/reminders/sms-hours", data={"csrf_token": token, "opens": "18", "closes": "9"}
    )
    assert reversed_hours.status_code == 422
    assert "ouverture avant la fermeture" in reversed_hours.get_data(as_text=True)
    too_late = signed_in.post(
        "/console/reminders/sms-hours", data={"csrf_token": token, "opens": "9", "closes": "22"}
    )
    assert too_late.status_code == 422 and sms_hours(ctx, shop.id) == (8, 20)
    missing_csrf = signed_in.post("/console/reminders/sms-hours", data={"opens": "9"})
    assert missing_csrf.status_code == 400
    saved = signed_in.post(
        "/console/reminders/sms-hours", data={"csrf_token": token, "opens": "9", "closes": "19"}
    )
    assert saved.status_code == 303 and sms_hours(ctx, shop.id) == (9, 19)


def test_payment_methods_keep_secrets_and_test_the_connection(
    signed_in, ctx, shop, app, httpserver
):
    from tests.support.providers import json_answer, use_fake_apis

    use_fake_apis(app, app.extensions["paylink.providers"], httpserver.url_for("/"))
    page = signed_in.get("/console/payments").get_data(as_text=True)
    assert "Stripe (carte" in page and "Virement bancaire" in page
    assert "Vos clients ne voient encore aucun moyen de paiement" in page
    assert " checked" not in page  # nothing unconfigured is shown as offered
    token = csrf(page)
    refused = signed_in.post(
        "/console/payments/stripe",
        data={"csrf_token": token, "enabled": "on", "secret_key": "pk_live_wrong"},
    )
    assert refused.status_code == 422 and "sk_" in refused.get_data(as_text=True)
    saved = signed_in.post(
        "/console/payments/stripe",
        data={
            "csrf_token": token,
            "enabled": "on",
            "secret_key": "sk_test_51AbCdEfGh1234",
            "webhook_secrets": "whsec_one\nwhsec_two",
        },
    )
    assert saved.status_code == 303
    page = signed_in.get("/console/payments").get_data(as_text=True)
    assert "sk_test_51AbCdEfGh1234" not in page and "…1234" in page and "…_two" in page
    # Saved, but not offered before its connection test passed.
    assert "Testez la connexion, puis cochez" in page
    assert "Vos clients ne voient encore aucun moyen de paiement" in page
    from core.services.payment_accounts import account_overview

    def stripe():
        return next(a for a in account_overview(ctx, shop.id) if a.provider == "stripe")

    assert not stripe().enabled and not stripe().verified

    seen = []
    httpserver.expect_oneshot_request("/v1/balance", method="GET").respond_with_handler(
        lambda request: (
            seen.append(request.headers["Authorization"])
            or json_answer({"object": "balance", "available": [], "pending": []})
        )
    )
    ok = signed_in.post("/console/payments/stripe/test", data={"csrf_token": token})
    assert ok.status_code == 303 and seen == ["Bearer sk_test_51AbCdEfGh1234"]
    page = signed_in.get("/console/payments").get_data(as_text=True)
    assert "Connexion à Stripe (carte, Apple Pay, Google Pay) réussie." in page
    kept = signed_in.post("/console/payments/stripe", data={"csrf_token": token, "enabled": "on"})
    assert kept.status_code == 303  # empty secret fields keep the stored ones
    assert (
        stripe().enabled and dict((f.key, v) for f, v in stripe().fields)["secret_key"] == "…1234"
    )
    page = signed_in.get("/console/payments").get_data(as_text=True)
    assert "Vos clients voient aujourd&#39;hui : Stripe (carte, Apple Pay, Google Pay)." in page

    # New credentials are tested again before customers see the method.
    changed = signed_in.post(
        "/console/payments/stripe",
        data={"csrf_token": token, "enabled": "on", "secret_key": "sk_test_51NewKey9876"},
    )
    assert changed.status_code == 303 and not stripe().enabled and not stripe().verified

    httpserver.expect_oneshot_request("/v1/balance").respond_with_response(
        json_answer({"error": {"message": "Invalid API Key provided"}}, 401)
    )
    failed = signed_in.post("/console/payments/stripe/test", data={"csrf_token": token})
    assert failed.status_code == 502 and "Invalid API Key" in failed.get_data(as_text=True)
    assert not stripe().verified
    assert signed_in.post("/console/payments/mollie", data={"csrf_token": token}).status_code == 404


def test_invoices_filter_by_store_and_day(signed_in, ctx, shop, clock):
    from zoneinfo import ZoneInfo

    from core.services.accounts import connect_store

    store = connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"token": "t"})
    from_store, _ = invoice_creation.create_invoice(ctx, shop.id, order("s1", store_id=store.id))
    clock.advance(days=2)
    by_api, _ = invoice_creation.create_invoice(ctx, shop.id, order("a1"))
    page = signed_in.get(f"/console/invoices?store={store.id}").get_data(as_text=True)
    assert from_store.number in page and by_api.number not in page and "lune.myshopify.com" in page
    day = clock().astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d")
    today = signed_in.get(f"/console/invoices?from={day}&to={day}").get_data(as_text=True)
    assert by_api.number in today and from_store.number not in today
    assert signed_in.get("/console/invoices?from=garbage").status_code == 200


def test_stores_and_the_language_switch(signed_in, ctx, shop):
    from core.services.accounts import connect_store

    assert "Aucune boutique" in signed_in.get("/console/stores").get_data(as_text=True)
    store = connect_store(ctx, shop.id, "woocommerce", "boutique-lune.fr", {"key": "k"})
    invoice_creation.create_invoice(ctx, shop.id, order("w1", store_id=store.id))
    page = signed_in.get("/console/stores").get_data(as_text=True)
    assert "boutique-lune.fr" in page and "Connectée" in page
    assert "<td>WooCommerce</td>" in page  # the platform as people write it, not its code
    switched = signed_in.post("/console/language", data={"csrf_token": csrf(page)})
    assert switched.status_code == 303
    english = signed_in.get("/console/stores").get_data(as_text=True)
    assert '<html lang="en">' in english and "Connected" in english


def test_domain_errors_speak_the_user_s_language():
    from core.errors import ValidationError
    from core.reminders import ReminderPolicy
    from core.web.console.texts import ERRORS_FR, said

    with pytest.raises(ValidationError) as refused:
        ReminderPolicy.from_json([{"name": "a", "offset": "P2Y"}])
    assert said("fr", refused.value) == (
        "étape 1 : « P2Y » : utilisez des jours et des heures, pas des mois ni des années"
    )
    assert said("en", refused.value) == refused.value.message  # the domain's own English
    assert said("fr", ValidationError("no key: shown as it is")) == "no key: shown as it is"
    # Every French text formats with the values its error carries (no missing placeholder).
    assert all("{" not in text.format_map(_Any()) for text in ERRORS_FR.values())


class _Any(dict):
    def __missing__(self, key):
        return key


def test_every_timeline_event_is_named_in_both_languages():
    from core.web.console.texts import EVENTS

    assert set(EVENTS["fr"]) == set(EVENTS["en"])


def test_the_invoice_page_speaks_words_not_identifiers(signed_in, ctx, shop, clock):
    """Steps, channels, states and skipped reminders in the merchant's words."""
    from core.services.messaging import outbox_messaging, send_step

    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    invoicing.void_invoice(ctx, shop.id, invoice.id, "commande annulée")
    send_step(ctx, outbox_messaging("https://pay.example", "s"), invoice.id, "reminder-1")
    page = signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "relance 1" in page and "facture annulée" in page and "commande annulée" in page
    assert "reminder-1" not in page
    assert "+33\u00a06" in page and "+33612345678" not in page  # the phone, grouped


def test_a_message_held_by_the_night_says_when_it_will_go(signed_in, ctx, shop, clock, run_jobs):
    """Created at 22:00 in Paris: no SMS before 08:00, and the page says so at once."""
    clock.now = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 in Paris
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    page = signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "En cours d&#39;envoi : premier envoi" in page
    run_jobs()  # the send job runs, and waits for the morning
    page = signed_in.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "Prévu le 3 mars 2026, 08:00 (Paris) : premier envoi, retenu" in page
    assert "Aucun message" not in page
    assert "Prochain envoi le" in page  # the next reminder, on its schedule
    log = signed_in.get("/console/messages").get_data(as_text=True)
    assert invoice.number in log and "part le 3 mars 2026, 08:00 (Paris)" in log


def test_each_language_punctuates_its_own_way(client, ctx, shop):
    """French puts a non-breaking space before a colon; English does not."""
    create_user(ctx, shop.id, "en@boutique-lune.fr", "Lea", PASSWORD, "en")
    create_user(ctx, shop.id, "fr@boutique-lune.fr", "Léa", PASSWORD, "fr")
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    assert sign_in(client, "en@boutique-lune.fr").status_code == 303
    english = client.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "Customer: <strong>" in english and "Total: <strong>" in english
    assert " :" not in re.sub(r"<[^>]+>", "", english).replace("\u00a0:", "")
    other = client.application.test_client()
    assert sign_in(other, "fr@boutique-lune.fr").status_code == 303
    french = other.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "Client\u00a0: <strong>" in french
