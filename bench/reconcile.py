"""Bank reconciliation at scale: one camt.053 of 100,000 lines imported against 100,000 open
invoices, timed, with the importing process's peak memory, on SQLite and PostgreSQL (durable).

The lines are what a merchant's bank sends: 85% credits carrying the RF reference Paylink
printed, 5% with the invoice number typed in the free text, 5% credits no reference settles
(they go to the exceptions queue with suggestions), 5% debits. Target: under 60 s and 300 MB.

Run: `python -m bench.reconcile [--lines 100000] [--engines sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.jobs import in_processes, postgres_databases, sqlite_databases
from core.encryption import Keyring, generate_key
from core.payments.bank_transfer import creditor_reference
from core.services.context import ServiceContext
from core.services.payment_accounts import configure_payment_account
from core.services.reconciliation import import_statement
from core.storage.database import Database
from core.storage.models import Invoice
from tests.support.bank import IBAN
from tests.support.factories import merchant, provider_env

CHUNK = 20_000
NOW = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def _number(n: int) -> str:
    return f"F-2026-{n:06d}"


def _invoices(merchant_id: int, start: int, count: int) -> list[dict]:
    return [
        {
            "merchant_id": merchant_id,
            "source_kind": "api",
            "external_id": f"bench-{n}",
            "number": _number(n),
            "reference_key": f"F2026{n:06d}",
            "link_code": secrets.token_urlsafe(9),
            "status": "open",
            "currency": "EUR",
            "subtotal": 1000 + n % 9000,
            "tax": 0,
            "shipping": 0,
            "discount": 0,
            "total": 1000 + n % 9000,
            "taxes_included": True,
            "amount_paid": 0,
            "amount_refunded": 0,
            "customer_name": f"Client {n}",
            "customer_locale": "fr",
            "due_at": NOW + timedelta(days=6),
            "created_at": NOW - timedelta(days=3),
            "updated_at": NOW - timedelta(days=3),
            "opened_at": NOW - timedelta(days=3),
        }
        for n in range(start, start + count)
    ]


def _entry(n: int) -> str:
    amount = f"{(1000 + n % 9000) / 100:.2f}"
    kind = n % 20
    if kind == 17:
        return _ntry(n, amount, "DBIT", "", "PRLV SEPA FOURNISSEUR")
    if kind == 18:
        return _ntry(n, amount, "CRDT", "", "VIREMENT SANS REFERENCE")
    if kind == 19:
        return _ntry(n, amount, "CRDT", "", f"FACTURE {_number(n).replace('-', ' ')}")
    rf = creditor_reference(_number(n))
    structured = (
        f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{rf}</Ref>"
        "</CdtrRefInf></Strd>"
    )
    return _ntry(n, amount, "CRDT", structured, "")


def _ntry(n: int, amount: str, direction: str, structured: str, text: str) -> str:
    unstructured = f"<Ustrd>{text}</Ustrd>" if text else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-30</Dt></ValDt>"
        f"<AcctSvcrRef>B{n:09d}</AcctSvcrRef><NtryDtls><TxDtls>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
        f"<RltdPties><Dbtr><Nm>CLIENT {n}</Nm></Dbtr></RltdPties>"
        f"<RmtInf>{unstructured}{structured}</RmtInf></TxDtls></NtryDtls></Ntry>\n"
    )


def write_statement(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
            "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>BENCH-{lines}</Id><Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>\n"
        )
        for n in range(lines):
            out.write(_entry(n))
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


def prepare(url: str, lines: int, key: str) -> int:
    database = Database(url)
    ctx = ServiceContext(db=database, keyring=Keyring.parse(key), clock=lambda: NOW)
    shop = merchant(ctx)
    configure_payment_account(
        ctx, provider_env(ctx), shop.id, "bank_transfer", {"beneficiary": "Lune", "iban": IBAN}
    )
    for start in range(0, lines, CHUNK):
        with database.transaction() as session:
            session.execute(insert(Invoice), _invoices(shop.id, start, min(CHUNK, lines - start)))
    database.dispose()
    return shop.id


def run_import(url: str, key: str, merchant_id: int, path: str, report: str) -> None:
    """In its own process, so that its peak memory is the import's alone."""
    database = Database(url)
    ctx = ServiceContext(db=database, keyring=Keyring.parse(key), clock=lambda: NOW)
    started = time.perf_counter()
    with open(path, "rb") as source:
        summary = import_statement(ctx, merchant_id, source, "bench")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(report).write_text(
        f"{seconds} {peak_mb} {summary.lines} {summary.matched} {summary.unmatched}"
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines: dict[str, Callable] = {"sqlite": sqlite_databases, "postgresql": postgres_databases}
    work = Path(tempfile.mkdtemp(prefix="paylink-reconcile-"))
    statement = work / "statement.xml"
    write_statement(statement, args.lines)
    size_mb = statement.stat().st_size / 1_048_576
    print(f"statement: {args.lines:,} lines, {size_mb:.1f} MB", flush=True)
    for engine in args.engines.split(","):
        with engines[engine]() as make_database:
            url = make_database("reconcile")
            key = f"b1:{generate_key()}"
            merchant_id = prepare(url, args.lines, key)
            report = work / f"{engine}.txt"
            in_processes(run_import, [(url, key, merchant_id, str(statement), str(report))])
            seconds, peak, lines, matched, unmatched = report.read_text().split()
            print(
                f"{engine:<11} {int(lines):,} lines against {args.lines:,} open invoices: "
                f"{float(seconds):6.1f} s ({int(lines) / float(seconds):,.0f} lines/s), "
                f"peak {float(peak):.0f} MB; {int(matched):,} paid by reference, "
                f"{int(unmatched):,} queued",
                flush=True,
            )


if __name__ == "__main__":
    main()
