"""Sample invoices in every status, so a first run has something true to look at.

They go through the same use cases as real ones (payments are recorded as the sandbox provider
would report them), so what the demo shows is what Paylink does.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from core.events import CustomerDetails, InvoiceRequested, PaymentReceived, SourceKind
from core.invoices import InvoiceContent, InvoiceLine
from core.money import Money
from core.services import invoice_creation, invoicing, payments
from core.services.context import ServiceContext
from core.storage.models import Invoice

SAMPLES = [
    (
        "Marie Dupont",
        "marie.dupont@example.fr",
        "+33612345678",
        "fr",
        [("Bougie parfumée Lune", 2, "18.50"), ("Coffret cadeau", 1, "9.90")],
    ),
    (
        "Jean Martin",
        "jean.martin@example.fr",
        "+33623456789",
        "fr",
        [("Plaid en laine", 1, "79.00")],
    ),
    (
        "Emma Wilson",
        "emma.wilson@example.com",
        "+447911123456",
        "en",
        [("Ceramic mug", 4, "12.00"), ("Tea sampler", 1, "24.50")],
    ),
    ("Lucas Bernard", "lucas.bernard@example.fr", None, "fr", [("Lampe de chevet", 1, "129.00")]),
    ("Chloé Petit", None, "+33634567890", "fr", [("Carnet de notes", 3, "7.50")]),
]


def create_demo_invoices(ctx: ServiceContext, merchant_id: int) -> list[Invoice]:
    """Five invoices: open, partly paid, paid, overdue, and a draft."""
    batch = secrets.token_hex(3)
    created = []
    for index, (name, email, phone, locale, items) in enumerate(SAMPLES):
        lines = tuple(
            InvoiceLine(label, quantity, Money.parse(price, "EUR"), Money.zero("EUR"))
            for label, quantity, price in items
        )
        content = InvoiceContent("EUR", lines, Money.parse("4.90", "EUR"), Money.zero("EUR"))
        # Overdue by two days: short of the 3-day reminder, so its first message is the invoice.
        due_at = ctx.clock() + timedelta(days=-2 if index == 3 else 7)
        request = InvoiceRequested(
            source_kind=SourceKind.API,
            external_id=f"demo-{batch}-{index + 1}",
            content=content,
            customer=CustomerDetails(name, email, phone, locale),
            due_at=due_at,
            draft=index == 4,
        )
        invoice, _ = invoice_creation.create_invoice(ctx, merchant_id, request)
        if index in (1, 2):
            paid = invoice.total // 2 if index == 1 else invoice.total
            payments.record_payment(
                ctx,
                PaymentReceived(
                    provider="sandbox",
                    provider_payment_id=f"demo-{batch}-{index + 1}",
                    invoice_id=invoice.id,
                    amount=Money(paid, "EUR"),
                    occurred_at=ctx.clock(),
                    method="card",
                ),
            )
        if index == 3:
            invoicing.mark_overdue(ctx, merchant_id, invoice.id)
        created.append(invoicing.load_invoice_by_id(ctx, merchant_id, invoice.id))
    return created
