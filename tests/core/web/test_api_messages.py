"""The API's message routes: the log, the reminder policy, templates checked and previewed."""

import pytest

from tests.core.web.test_api import create
from tests.core.web.test_openapi import document, fits


def test_the_messages_log_shows_what_went_out(client, auth, run_jobs):
    invoice = create(client, auth).json
    run_jobs()
    log = client.get("/api/v1/messages", headers=auth).json
    fits(document(client), "MessageList", log)
    (message,) = log["data"]
    assert (message["step"], message["channel"], message["status"]) == ("invoice", "sms", "stored")
    assert message["to"] == "+33612345678" and invoice["payment_url"] in message["body"]
    assert (message["segments"], message["encoding"], message["cost_estimate_micros"]) == (
        1,
        "gsm7",
        50000,
    )
    mine = client.get(f"/api/v1/messages?invoice_id={invoice['id']}", headers=auth).json
    assert mine == log
    assert client.get("/api/v1/messages?invoice_id=999", headers=auth).json["data"] == []
    assert client.get("/api/v1/messages?limit=0", headers=auth).status_code == 422


def test_the_reminder_policy_is_read_replaced_and_reset(client, auth):
    default = client.get("/api/v1/reminder-policy", headers=auth).json
    assert [s["name"] for s in default["steps"]] == [
        "invoice",
        "reminder-1",
        "reminder-2",
        "reminder-3",
    ]
    fits(document(client), "ReminderPolicyIO", default)
    steps = [
        {"name": "invoice", "template": "invoice"},
        {"name": "before", "anchor": "due", "offset": "-P2D", "channel": "sms"},
    ]
    saved = client.put("/api/v1/reminder-policy", headers=auth, json={"steps": steps})
    assert saved.status_code == 200 and saved.json["steps"][1]["offset"] == "-P2D"
    assert client.get("/api/v1/reminder-policy", headers=auth).json == saved.json
    bad = client.put(
        "/api/v1/reminder-policy", headers=auth, json={"steps": [{"name": "x", "offset": "P1M"}]}
    )
    assert bad.status_code == 422 and "months" in bad.json["error"]["message"]
    assert client.delete("/api/v1/reminder-policy", headers=auth).json == default


def test_templates_are_checked_previewed_and_reset(client, auth):
    url = "/api/v1/templates/reminder/fr/sms"
    default = client.get(url, headers=auth).json
    assert default["custom"] is False and default["sms"]["segments"] == 1
    fits(document(client), "TemplateOut", default)
    long = "Bonjour {{ first_name }}, ça fait longtemps ! " * 3 + "{{ link }}"
    saved = client.put(url, headers=auth, json={"text": long}).json
    assert saved["custom"] is True and saved["preview"].startswith("Bonjour Marie, ça")
    assert saved["sms"] == {"encoding": "ucs2", "units": len(saved["preview"]), "segments": 3}
    assert client.get(url, headers=auth).json["text"] == long
    unknown = client.put(url, headers=auth, json={"text": "{{ iban }}"})
    assert (
        unknown.status_code == 422 and "unknown variable iban" in unknown.json["error"]["message"]
    )
    escape = client.put(url, headers=auth, json={"text": "{{ link.__class__ }}"})
    assert escape.status_code == 422
    assert client.delete(url, headers=auth).json == default


@pytest.mark.parametrize("path", ["poem/fr/sms", "reminder/de/sms", "reminder/fr/fax"])
def test_unknown_template_keys_are_404s(client, auth, path):
    assert client.get(f"/api/v1/templates/{path}", headers=auth).status_code == 404


def test_previews_use_the_merchant_s_name_and_the_language_s_formats(client, auth, ctx, shop):
    from core.services.accounts import update_branding

    update_branding(ctx, shop.id, "Atelier Soleil", "#1f6feb")
    french = client.get("/api/v1/templates/invoice/fr/sms", headers=auth).json["preview"]
    english = client.get("/api/v1/templates/invoice/en/sms", headers=auth).json["preview"]
    assert "Atelier Soleil" in french and "Atelier Soleil" in english
    assert "75,50 €" in french and "€75.50" in english and "75,50" not in english
    saved = client.put(
        "/api/v1/templates/reminder/en/sms",
        json={"text": "{{ merchant }}: {{ amount }} due {{ due_date }}. {{ link }}"},
        headers=auth,
    ).json
    assert saved["preview"].startswith("Atelier Soleil: €75.50 due 30 November 2026.")
