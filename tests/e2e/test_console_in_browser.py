"""A merchant in the console, in headless Chromium: sign in, set the brand colour and logo,
enable the sandbox, edit the first SMS and watch the segment counter change, create an invoice,
find it in the list and its message in the log, open its link, change the password. Every page
is saved as a screenshot under test-artifacts/console/ (kept by CI as artefacts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.services.merchant_users import create_user
from tests.core.web.console.test_console import PNG

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def sandbox_on() -> bool:
    return False  # the merchant enables it in the console


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_merchant_sets_up_and_sends_an_invoice(browser, shop_online, tmp_path):
    ctx, shop, base_url = shop_online
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(
        viewport=LAPTOP, locale="fr-FR", permissions=["clipboard-read", "clipboard-write"]
    )

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    page.goto(f"{base_url}/console/login")
    shot("01-login")
    page.get_by_label("Email").fill("lea@boutique-lune.fr")
    page.get_by_label("Mot de passe").fill("correct horse battery")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()  # the console's home
    shot("02-dashboard-empty")
    page.get_by_role("link", name="Factures", exact=True).click()
    page.get_by_role("heading", name="Factures").wait_for()
    shot("02-invoices-empty")

    page.get_by_role("link", name="Réglages").click()  # the pages set once, with a line each
    page.get_by_role("heading", name="Réglages").wait_for()
    shot("02-settings")
    page.get_by_role("link", name="Image de marque").click()
    page.get_by_label("Couleur de marque").fill("#0a7d33")
    expect(page.locator(".preview-brand").first).to_have_css(
        "background-color", "rgb(10, 125, 51)"
    )  # the preview follows the picker before saving
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    page.get_by_label("Logo").set_input_files(str(logo))
    branding_form = page.locator("form[enctype='multipart/form-data']")
    branding_form.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Enregistré.").wait_for()
    assert page.locator(".preview img.logo").count() == 1
    shot("03-branding")

    page.get_by_role("link", name="Moyens de paiement").click()
    page.get_by_text("Vos clients ne voient encore aucun moyen de paiement").wait_for()
    page.locator("#sandbox").get_by_role("button", name="Enregistrer").click()
    page.locator("#sandbox").get_by_role("button", name="Tester la connexion").click()
    page.get_by_text("Connexion à Paiement de test (sandbox) réussie.").wait_for()
    page.locator("#sandbox").get_by_label("Proposé aux clients").check()
    page.locator("#sandbox").get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Enregistré.").wait_for()
    page.get_by_text("Vos clients voient aujourd'hui : Paiement de test (sandbox).").wait_for()
    shot("04-payment-methods")

    page.get_by_role("link", name="Modèles de messages").click()
    segments = page.locator('[data-meter="segments"]')
    assert segments.inner_text() == "1"
    sms = page.get_by_label("Texte du SMS")
    sms.fill("Bonjour {{ first_name }} ! " + "Votre commande vous attend. " * 4 + "{{ link }}")
    expect(segments).to_have_text("2", timeout=10_000)  # measured by the server as typed
    shot("05-template-two-segments")
    sms.fill("{{ first_name }}, votre facture {{ merchant }} : {{ amount }} ici {{ link }}")
    expect(segments).to_have_text("1", timeout=10_000)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Enregistré.").wait_for()

    page.get_by_role("link", name="Factures", exact=True).click()
    page.get_by_role("link", name="Nouvelle facture").click()
    page.get_by_label("Nom du client").fill("Marie Curie")
    page.get_by_label("Téléphone du client").fill("06 12 34 56 78")
    page.locator("#lines-0-label").fill("Bougie parfumée")
    page.locator("#lines-0-quantity").fill("2")
    page.locator("#lines-0-unit_price").fill("18,50")
    page.get_by_label("Livraison").fill("4,90")
    shot("06-new-invoice")
    page.get_by_role("button", name="Créer et envoyer").click()
    page.get_by_text("41,90").first.wait_for()
    link = page.locator("#link").input_value()
    number = page.locator("h1").inner_text().split()[0]
    page.get_by_role("button", name="Copier le lien").click()
    page.get_by_text("Lien copié.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot("07-invoice")

    page.get_by_role("link", name="Factures", exact=True).click()
    assert page.get_by_role("link", name=number).is_visible()
    shot("08-invoices")
    for _ in range(40):  # the worker thread sends the invoice message within a moment
        page.get_by_role("link", name="Messages", exact=True).click()
        if page.get_by_text("Marie, votre facture Boutique Lune : 41,90 €").count():
            break
        page.wait_for_timeout(250)
    assert page.get_by_text("Marie, votre facture Boutique Lune : 41,90 €").count() == 1
    shot("09-messages")
    page.set_viewport_size({"width": 390, "height": 844})  # the console on a phone
    for path, name in (
        ("/console/dashboard", "11-phone-dashboard"),
        ("/console/invoices", "11-phone-invoices"),
        ("/console/messages", "12-phone-messages"),
    ):
        page.goto(f"{base_url}{path}")
        shot(name)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path

    customer = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")
    customer.goto(link)
    assert customer.locator("h1 .amount").inner_text() == "41,90\u00a0€"
    assert customer.get_by_role("button", name="Paiement de test (sandbox)").is_visible()
    customer.screenshot(path=str(ARTIFACTS / "10-payment-page.png"), full_page=True)
    customer.close()

    page.get_by_role("link", name="Mot de passe", exact=True).click()  # still a phone
    page.get_by_label("Mot de passe actuel").fill("correct horse battery")
    page.get_by_label("Nouveau mot de passe", exact=True).fill("a newer horse battery")
    page.get_by_label("Nouveau mot de passe, encore une fois").fill("a newer horse battery")
    shot("13-phone-password")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.get_by_text("Mot de passe changé").wait_for()
    page.close()
