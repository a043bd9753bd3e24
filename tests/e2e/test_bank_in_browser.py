"""The bank page in headless Chromium, as a merchant uses it in French and in English, on a
laptop and on a phone: upload a camt statement, read the summary, pay a queued transfer by
its suggestion. Screenshots go to test-artifacts/bank/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.services.merchant_users import create_user
from tests.support.bank import camt, invoice_of, with_bank_account

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "bank"
WORDS = {
    "fr": {
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "bank": "Banque",
        "file": "Fichier du relevé",
        "import": "Importer",
        "summary": "Lignes lues\u00a0: 5 · réglées par virement\u00a0: 3 (214,20\u00a0€)",
        "pay": "Régler",
        "done": "Virement rapproché de",
    },
    "en": {
        "password": "Password",
        "sign_in": "Sign in",
        "bank": "Bank",
        "file": "Statement file",
        "import": "Import",
        "summary": "Lines read: 5 · paid by transfer: 3 (€214.20)",
        "pay": "Pay",
        "done": "Transfer matched to",
    },
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_merchant_imports_a_statement_and_settles_the_queue(browser, shop_online, tmp_path, lang):
    ctx, shop, base_url = shop_online
    with_bank_account(ctx, shop)
    for n in range(5):
        invoice_of(ctx, shop.id, "1000.00", f"Client {n}")
    lucie = invoice_of(ctx, shop.id, "50.00", "Lucie Bernard")
    create_user(ctx, shop.id, "lea@boutique-lune.fr", "Léa", "correct horse battery", lang)
    statement = tmp_path / "releve.xml"
    booked_now = camt("camt.053.001.02.xml").replace(b"2026-11-30", b"2026-03-02")
    statement.write_bytes(booked_now)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    words = WORDS[lang]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=f"{lang}-FR")
    page.goto(f"{base_url}/console/login?lang={lang}")
    page.get_by_label("Email").fill("lea@boutique-lune.fr")
    page.get_by_label(words["password"]).fill("correct horse battery")
    page.get_by_role("button", name=words["sign_in"]).click()
    page.get_by_role("link", name=words["bank"], exact=True).click()
    page.get_by_label(words["file"]).set_input_files(str(statement))
    page.get_by_role("button", name=words["import"], exact=True).click()
    page.get_by_text(words["summary"]).wait_for()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-1280-queue.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-390-queue.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name=f"{words['pay']} {lucie.number}").click()
    page.get_by_text(words["done"]).wait_for()
    page.screenshot(path=str(ARTIFACTS / f"{lang}-390-decided.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
