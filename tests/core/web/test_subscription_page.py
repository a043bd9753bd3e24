"""A customer manages a subscription from one of its invoices: pause, resume, cancel, each on
the invoice's timeline; an invoice without a subscription has no such page."""

from __future__ import annotations

import re

from core.services import recurring
from core.services.invoice_queries import invoice_timeline
from tests.core.services.test_recurring import invoices_of, request


def token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_customer_pauses_resumes_and_cancels_from_an_invoice(client, ctx, shop):
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    [invoice] = invoices_of(ctx, shop)
    page = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert "Gérer mon abonnement" in page
    url = f"/i/{invoice.link_code}/subscription"
    html = client.get(url).get_data(as_text=True)
    assert "19,90\u00a0€ chaque mois, chez Boutique Lune" in html and "2 avril 2026" in html
    for action, said in (("pause", "suspendu"), ("resume", "est actif")):
        answer = client.post(url, data={"token": token(html), "action": action})
        assert answer.status_code == 303
        html = client.get(url).get_data(as_text=True)
        assert said in html
    asked = client.post(url, data={"token": token(html), "action": "cancel"})
    assert asked.headers["Location"].endswith("/subscription?confirm=cancel")  # asked again
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Résilier votre abonnement ?" in html and "est actif" in html
    client.post(url, data={"token": token(html), "action": "cancel", "confirmed": "yes"})
    html = client.get(url).get_data(as_text=True)
    assert "résilié" in html
    assert 'name="action"' not in html
    kinds = [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)]
    assert [k for k in kinds if k.startswith("subscription_")] == [
        "subscription_pause_by_customer",
        "subscription_resume_by_customer",
        "subscription_cancel_by_customer",
    ]
    assert recurring.schedule_of(ctx, shop.id, schedule.id).status == "cancelled"


def test_a_forged_form_or_a_plain_invoice_changes_nothing(client, ctx, shop, invoice):
    assert client.get(f"/i/{invoice.link_code}/subscription").status_code == 404
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    recurring_invoice = next(i for i in invoices_of(ctx, shop) if i.source_kind == "recurring")
    url = f"/i/{recurring_invoice.link_code}/subscription"
    assert client.post(url, data={"token": "forged", "action": "cancel"}).status_code == 400
    other_token = re.search(
        r'name="token" value="([^"]+)"',
        client.get(f"/i/{invoice.link_code}").get_data(as_text=True),
    ).group(1)
    assert client.post(url, data={"token": other_token, "action": "cancel"}).status_code == 400
    assert recurring.schedule_of(ctx, shop.id, schedule.id).status == "active"
