"""What reconciliation tests share: a merchant with a bank account, invoices of chosen
amounts and customers, and the camt fixtures."""

from __future__ import annotations

import io
from pathlib import Path

from core.events import CustomerDetails
from core.services import invoice_creation
from core.services.context import ServiceContext
from core.services.payment_accounts import configure_payment_account
from core.services.reconciliation import ImportSummary, import_statement
from core.storage.models import Invoice, Merchant
from tests.support.factories import content, merchant, order, provider_env

CAMT = Path(__file__).parent.parent / "fixtures" / "camt"
IBAN = "FR7630006000011234567890189"


def camt(name: str) -> bytes:
    return (CAMT / name).read_bytes()


def merchant_with_account(ctx: ServiceContext, name: str = "Boutique Lune") -> Merchant:
    return with_bank_account(ctx, merchant(ctx, name))


def with_bank_account(ctx: ServiceContext, shop: Merchant) -> Merchant:
    """The merchant, with the bank account its statements are for (not offered to customers:
    reconciliation needs the IBAN, not the payment method)."""
    configure_payment_account(
        ctx,
        provider_env(ctx),
        shop.id,
        "bank_transfer",
        {"beneficiary": shop.name, "iban": IBAN},
        enabled=False,
    )
    return shop


def invoice_of(ctx: ServiceContext, merchant_id: int, total: str, customer: str) -> Invoice:
    """An open invoice whose total is `total` (no shipping), for `customer`."""
    request = order(
        f"ext-{total}-{customer}",
        content=content(total, shipping="0.00"),
        customer=CustomerDetails(customer, "client@example.fr", None, "fr"),
    )
    created, _ = invoice_creation.create_invoice(ctx, merchant_id, request)
    return created


def imported(
    ctx: ServiceContext, merchant_id: int, data: bytes, **options: object
) -> ImportSummary:
    return import_statement(ctx, merchant_id, io.BytesIO(data), "test", **options)  # type: ignore[arg-type]


def camt053(statement_id: str, entries: list[tuple[str, str, str]], iban: str = IBAN) -> bytes:
    """A camt.053.001.08 statement of booked credits: (bank reference, amount, RF reference)."""
    body = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef><NtryDtls><TxDtls>
<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Strd><CdtrRefInf>
<Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{rf}</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry>"""
        for reference, amount, rf in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{body}</Stmt>
</BkToCstmrStmt></Document>""".encode()
