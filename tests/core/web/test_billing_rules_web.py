"""Billing rules where merchants and customers meet them: the console's editor (add, try on a
sample invoice, move up, remove), the API, and the payment page offering only the methods a
rule allows (and checkout refusing the others)."""

from __future__ import annotations

import re
from datetime import datetime

from core.billing_rules import Conditions, Effects, Rule
from core.services import billing, invoice_creation
from core.services.payment_accounts import configure_payment_account
from tests.support.console import csrf_token, sign_in
from tests.support.factories import order


def test_a_rule_limiting_methods_hides_the_others(client, ctx, env, shop, sandbox_account):
    configure_payment_account(
        ctx,
        env,
        shop.id,
        "bank_transfer",
        {"beneficiary": "Lune", "iban": "FR7630006000011234567890189"},
    )
    billing.set_rules(
        ctx,
        shop.id,
        [Rule("Virement seulement", Conditions(), Effects(methods=("bank_transfer",)))],
    )
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("only-transfer"))
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert 'value="bank_transfer"' in html and 'value="sandbox"' not in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    refused = client.post(f"/i/{invoice.link_code}/pay", data={"method": "sandbox", "token": token})
    assert refused.status_code == 409


def test_the_console_editor_adds_tries_moves_and_removes(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/billing-rules").get_data(as_text=True)
    assert "Règles de facturation" in page and "Aucune règle" in page
    for name, data in (
        (
            "Pros",
            {"customer_type": "business", "payment_terms_days": "30", "methods": ["bank_transfer"]},
        ),
        (
            "Gros paniers",
            {"min_total": "100,00", "early_discount_percent": "3", "channel": "email"},
        ),
    ):
        added = client.post(
            "/console/billing-rules",
            data={
                "csrf_token": csrf_token(page),
                "name": name,
                "customer_type": "",
                "channel": "",
                **data,
            },
        )
        assert added.status_code == 303, added.get_data(as_text=True)
    page = client.get("/console/billing-rules").get_data(as_text=True)
    assert "Professionnel" in page and "payable sous 30 jours" in page and "Virement" in page
    assert "total d&#39;au moins 100,00" in page and "escompte de 3" in page
    assert "messages par email" in page  # a channel mid-sentence is written in lower case
    tried = client.get(
        "/console/billing-rules/try", query_string={"customer_type": "consumer", "total": "150"}
    ).get_data(as_text=True)
    assert (
        "règle « Gros paniers »" in tried
        and "✗ Professionnel" in tried
        and "✓ total d&#39;au moins 100,00" in tried
    )
    token = csrf_token(page)
    client.post("/console/billing-rules/1/up", data={"csrf_token": token})
    assert [r.name for r in billing.rules_of(_merchant(ctx, shop))] == ["Gros paniers", "Pros"]
    client.post("/console/billing-rules/0/remove", data={"csrf_token": token})
    assert [r.name for r in billing.rules_of(_merchant(ctx, shop))] == ["Pros"]
    bad = client.post(
        "/console/billing-rules",
        data={"csrf_token": token, "name": "Pros", "customer_type": "", "channel": ""},
    )
    assert bad.status_code == 422 and "même nom" in bad.get_data(as_text=True)


def test_a_rule_names_its_store_and_can_stop_reminders(client, ctx, shop):
    from core.services.accounts import connect_store

    store = connect_store(
        ctx, shop.id, "woocommerce", "lune.example", {"store_url": "https://lune.example"}
    )
    sign_in(client, ctx, shop.id)
    page = client.get("/console/billing-rules").get_data(as_text=True)
    assert f'<option value="{store.id}">WooCommerce · lune.example</option>' in page
    assert "aucune relance après le premier message" in page
    added = client.post(
        "/console/billing-rules",
        data={"csrf_token": csrf_token(page), "name": "Boutique web", "customer_type": "",
              "channel": "", "store_id": str(store.id), "reminders": "off", "customer_tag": "VIP"},
    )  # fmt: skip
    assert added.status_code == 303, added.get_data(as_text=True)
    [rule] = billing.rules_of(_merchant(ctx, shop))
    assert rule.conditions.store_id == store.id and rule.effects.reminders is False
    page = client.get("/console/billing-rules").get_data(as_text=True)
    assert "Boutique WooCommerce · lune.example" in page  # words, not the store's id
    assert "client étiqueté «\u00a0VIP\u00a0»" in page.replace("&#34;", '"')


def _merchant(ctx, shop):
    from core.storage.models import Merchant

    with ctx.db.reading() as session:
        return session.get(Merchant, shop.id)


def test_the_api_reads_and_replaces_the_rules(client, auth):
    rules = {
        "rules": [
            {
                "name": "Pros",
                "when": {"customer_type": "business"},
                "then": {"payment_terms_days": 30},
            },
            {"name": "SMS box", "when": {"sku_prefix": "BOX"}, "then": {"channel": "sms"}},
        ]
    }
    put = client.put("/api/v1/billing-rules", json=rules, headers=auth)
    assert put.status_code == 200 and put.json == rules
    assert client.get("/api/v1/billing-rules", headers=auth).json == rules
    bad = {"rules": [{"name": "x", "then": {"channel": "fax"}}]}
    assert client.put("/api/v1/billing-rules", json=bad, headers=auth).status_code == 422
    twice = {"rules": [{"name": "x"}, {"name": "x"}]}
    answer = client.put("/api/v1/billing-rules", json=twice, headers=auth)
    assert answer.status_code == 422 and "unique" in answer.json["error"]["message"]


def test_the_api_reads_and_sets_the_early_payer_reward(client, auth):
    assert client.get("/api/v1/early-payer-reward", headers=auth).json == {"enabled": False}
    offer = {"enabled": True, "window_hours": 24, "kind": "amount", "value": 500, "valid_days": 60}
    put = client.put("/api/v1/early-payer-reward", json=offer, headers=auth)
    assert put.status_code == 200 and put.json == offer
    assert client.get("/api/v1/early-payer-reward", headers=auth).json == offer
    too_much = {**offer, "kind": "percent", "value": 80}
    refused = client.put("/api/v1/early-payer-reward", json=too_much, headers=auth)
    assert refused.status_code == 422 and "1 to 50" in refused.json["error"]["message"]
    off = client.put("/api/v1/early-payer-reward", json={"enabled": False}, headers=auth)
    assert off.json == {"enabled": False}


def test_the_api_s_customer_tags_meet_a_rule_on_them(client, auth):
    vip = {"name": "VIP", "when": {"customer_tag": "vip"}, "then": {"payment_terms_days": 45}}
    rules = {"rules": [vip]}
    assert client.put("/api/v1/billing-rules", json=rules, headers=auth).status_code == 200
    body = {"currency": "EUR", "lines": [{"label": "Thé", "unit_price": 1200}],
            "customer": {"name": "Paul", "email": "paul@example.fr", "tags": ["VIP", "Lyon"]},
            "reference": "tagged"}  # fmt: skip
    created = client.post("/api/v1/invoices", json=body, headers=auth)
    plain = client.post(
        "/api/v1/invoices",
        json={**body, "reference": "plain", "customer": {"name": "Zoé", "email": "z@example.fr"}},
        headers=auth,
    )
    assert created.status_code == plain.status_code == 201
    due = [datetime.fromisoformat(a.json["due_at"]) - datetime.fromisoformat(a.json["created_at"])
           for a in (created, plain)]  # fmt: skip
    assert due[0].days == 45 and due[1].days != 45


def test_the_invoice_page_names_the_rules_that_applied(client, ctx, shop):
    billing.set_rules(
        ctx, shop.id, [Rule("Pros à 30 jours", Conditions(), Effects(payment_terms_days=30))]
    )
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order("ruled"))
    sign_in(client, ctx, shop.id)
    page = client.get(f"/console/invoices/{invoice.id}").get_data(as_text=True)
    assert "Règles de facturation appliquées · Pros à 30 jours" in page
