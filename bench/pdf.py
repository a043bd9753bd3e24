"""Invoice documents per second, as the worker makes them: a consumer's PDF/A-3 and a business
customer's Factur-X (the same PDF with its EN 16931 XML checked against the XSD and embedded),
each read from the database, rendered and stored once. One process, one core.

Run: `python -m bench.pdf [--documents 200]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.jobs import sqlite_databases
from core.business_buyer import business_buyer
from core.encryption import Keyring, generate_key
from core.invoices import InvoiceContent, InvoiceLine
from core.services import documents, invoice_creation
from core.services.context import ServiceContext
from core.storage.database import Database
from tests.support.factories import eur, merchant, order

ACME = business_buyer("ACME Industries SAS", "732829320", "FR40303265045", "3 rue de la Paix")
LINES = (
    InvoiceLine("Bougie parfumée", 2, eur("18.50"), eur("6.17")),
    InvoiceLine("Coffret cadeau", 1, eur("9.90"), eur("1.65")),
    InvoiceLine("Livre de recettes", 1, eur("21.10"), eur("1.10")),
)


def measure(ctx: ServiceContext, count: int, business: bool, logo_dir: Path) -> float:
    shop = merchant(ctx, f"Boutique {'pro' if business else 'particuliers'}")
    content = InvoiceContent("EUR", LINES, eur("4.90"), eur("0.00"))
    ids = [
        invoice_creation.create_invoice(
            ctx,
            shop.id,
            order(f"pdf-{business}-{n}", content=content, buyer=ACME if business else None),
        )[0].id
        for n in range(count)
    ]
    env = documents.DocumentEnvironment(logo_dir, "https://pay.example")
    documents.make_invoice_document(ctx, env, ids[0])  # fonts and templates loaded once
    started = time.perf_counter()
    for invoice_id in ids[1:]:
        documents.make_invoice_document(ctx, env, invoice_id)
    return (len(ids) - 1) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    with sqlite_databases() as make_database, tempfile.TemporaryDirectory() as logos:
        ctx = ServiceContext(
            db=Database(make_database("bench_pdf")),
            keyring=Keyring.parse(f"bench:{generate_key()}"),
        )
        for business in (False, True):
            rate = measure(ctx, args.documents, business, Path(logos))
            kind = "Factur-X (business)" if business else "PDF/A-3 (consumer)"
            print(f"{kind:24} {rate:6.1f} documents/s ({1000 / rate:.1f} ms each)")


if __name__ == "__main__":
    main()
