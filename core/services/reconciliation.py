"""Importing bank statements: each line stored once, sure matches paid at once through the
payment service, everything else queued for a person.

A file is one transaction: it is imported whole or not at all (a line that cannot be read, or a
statement for another account, leaves nothing behind). Lines are read as a stream and handled
in chunks, each with one query for the lines already known and one for the invoices their
references name, so a 100,000-line statement runs in flat memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.bank_statements import PRESETS, CsvProfile, StatementError, read_statement
from core.errors import ValidationError
from core.money import Money
from core.reconcile import (
    Allocation,
    CandidateInvoice,
    Direction,
    LineReferences,
    StatementHeader,
    StatementLine,
    SureMatch,
    match_line,
    references_of,
)
from core.services.bank_matching import (
    LineFacts,
    pay_shares,
    resolve,
    suggest,
)
from core.services.context import ServiceContext
from core.services.payment_accounts import merchant_bank_account
from core.services.payments import locked_invoices, reverse_payment_in
from core.services.payouts import claim_payout_lines
from core.storage.bank_models import (
    BankCsvProfile,
    BankLine,
    BankLineShare,
    BankLineState,
    BankStatement,
)
from core.storage.models import Invoice, Merchant, Payment

NO_REFERENCES = LineReferences((), ())
#: Who decided what the importer decided, as the audit shows it.
DECIDED_BY_PAYLINK = "paylink"
#: Lines read before they are handled together (a few queries and one flush for all).
LINES_PER_FLUSH = 2_000


@dataclass
class ImportSummary:
    """What one file did, for the CLI, the API and the console."""

    statements: int = 0
    already_imported: int = 0
    lines: int = 0
    duplicates: int = 0
    matched: int = 0
    payouts: int = 0
    unmatched: int = 0
    debits: int = 0
    reversals: int = 0
    collected: dict[str, int] = field(default_factory=dict)  # currency -> minor units paid

    def add_collected(self, amount: Money) -> None:
        self.collected[amount.currency] = self.collected.get(amount.currency, 0) + amount.minor


def import_statement(
    ctx: ServiceContext,
    merchant_id: int,
    source: BinaryIO,
    imported_by: str,
    csv_profile: CsvProfile | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Read, store and match one statement file for one merchant; `progress` is told how
    many lines each chunk handled."""
    account = merchant_bank_account(ctx, merchant_id)
    if account is None:
        raise ValidationError(
            "set up your bank account (IBAN) under payment methods before importing statements",
            key="bank_account_missing",
        )
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise ValidationError(f"no merchant {merchant_id}")
        importer = _Importer(ctx, session, merchant, account.iban, imported_by, progress)
        for item in read_statement(source, csv_profile):
            importer.take(item)
        importer.finish()
        if importer.summary.statements == 0:
            raise StatementError("the file holds no statement", key="statement_none")
        return importer.summary


class _Importer:
    """One file's import, inside its transaction."""

    def __init__(
        self,
        ctx: ServiceContext,
        session: Session,
        merchant: Merchant,
        iban: str,
        imported_by: str,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.merchant_id = merchant.id
        self.prefixes = (merchant.invoice_prefix,)
        self.iban = iban
        self.imported_by = imported_by
        self.progress = progress
        self.summary = ImportSummary()
        #: The statement being read, None while reading one imported before (skipped whole).
        self.statement_id: int | None = None
        self.statement_ref = ""
        self.pending: list[StatementLine] = []
        #: Credits left for a person, by line id: suggested for once the whole file is paid.
        self.unmatched: list[tuple[int, StatementLine]] = []
        self.seen: set[str] = set()

    def take(self, item: StatementHeader | StatementLine) -> None:
        if isinstance(item, StatementHeader):
            self.flush()
            self.statement_id = self._start(item)
        elif self.statement_id is not None:
            self.pending.append(item)
            if len(self.pending) >= LINES_PER_FLUSH:
                self.flush()

    def _start(self, header: StatementHeader) -> int | None:
        """The statement's row, or None when this very statement was imported before (its
        lines are then skipped whole)."""
        iban = (header.account_iban or self.iban).replace(" ", "").upper()
        if iban != self.iban:
            raise StatementError(
                f"statement {header.statement_id} is for account {iban}, not for your "
                f"account {self.iban}; nothing was imported",
                key="statement_other_account",
                statement=header.statement_id,
                account=iban,
            )
        self.summary.statements += 1
        known = self.session.scalars(
            select(BankStatement.id).where(
                BankStatement.merchant_id == self.merchant_id,
                BankStatement.account_iban == iban,
                BankStatement.statement_ref == header.statement_id,
            )
        ).first()
        if known is not None:
            self.summary.already_imported += 1
            return None
        statement = BankStatement(
            merchant_id=self.merchant_id,
            account_iban=iban,
            statement_ref=header.statement_id[:140],
            format=header.format[:40],
            imported_at=self.ctx.clock(),
            imported_by=self.imported_by[:200],
            line_count=0,
        )
        self.session.add(statement)
        self.session.flush()  # its id names its lines
        self.statement_ref = statement.statement_ref
        return statement.id

    def finish(self) -> None:
        self.flush()
        suggest(self.session, self.merchant_id, self.unmatched)

    def flush(self) -> None:
        """Handle the lines read so far, together: one query for the invoices their references
        name, one to lock those invoices, one statement inserting the lines (those already
        stored, by this file or an earlier one, are skipped by the unique constraint and
        counted as duplicates), one for their shares. Reversals come last, once the chunk's
        own credits are stored."""
        lines, self.pending = self.pending, []
        if not lines or self.statement_id is None:
            return
        unseen = []
        for line in lines:
            self.summary.lines += 1
            if line.key in self.seen:
                self.summary.duplicates += 1
            else:
                self.seen.add(line.key)
                unseen.append(line)
        if unseen:
            self._handle(unseen)
        if self.progress is not None:
            self.progress(len(lines))

    def _handle(self, lines: list[StatementLine]) -> None:
        references = {
            line.key: references_of(line, self.prefixes)
            for line in lines
            if line.direction == Direction.CREDIT or line.reversal
        }
        resolved = resolve(
            self.session, self.merchant_id, {k for r in references.values() for k in r.all}
        )
        matches = {
            line.key: match
            for line in lines
            if (match := match_line(line, references.get(line.key, NO_REFERENCES), resolved))
        }
        ids = self._insert(lines, matches)
        fresh = [line for line in lines if line.key in ids]
        self.summary.duplicates += len(lines) - len(fresh)
        if not fresh:
            return
        self._count(fresh)
        paid = {key: match for key, match in matches.items() if key in ids}
        invoices = locked_invoices(
            self.session,
            self.merchant_id,
            [a.invoice_id for match in paid.values() for a in match.allocations],
        )
        shares = []
        with self.session.no_autoflush, self.ctx.jobs_together(self.session):
            for line in fresh:
                if line.key in paid:
                    shares += self._pay(ids[line.key], line, paid[line.key], invoices)
        self.session.flush()  # the payments get their ids
        if shares:
            self.session.connection().execute(
                insert(cast(Table, BankLineShare.__table__)),
                [
                    {
                        "line_id": line_id,
                        "invoice_id": a.invoice_id,
                        "amount": a.amount.minor,
                        "payment_id": payment.id,
                    }
                    for line_id, a, payment in shares
                ],
            )
        credits = [
            (ids[line.key], line) for line in fresh if line.is_credit and line.key not in paid
        ]
        payouts = claim_payout_lines(self.ctx, self.session, self.merchant_id, credits)
        self.summary.payouts += len(payouts)
        unmatched = [(line_id, line) for line_id, line in credits if line_id not in payouts]
        for line in fresh:
            if line.reversal:
                self._reverse(ids[line.key], line, references[line.key], resolved)
        self.unmatched.extend(unmatched)
        self.summary.unmatched += len(unmatched)
        self.session.execute(
            update(BankStatement)
            .where(BankStatement.id == self.statement_id)
            .values(line_count=BankStatement.line_count + len(fresh))
        )
        self.session.flush()
        self.session.expunge_all()  # flat memory: nothing of this chunk is needed again

    def _insert(self, lines: list[StatementLine], matches: dict[str, SureMatch]) -> dict[str, int]:
        """Store the lines not stored yet, in one statement; the ids of those it stored, by
        key. The unique constraint decides, so two imports of one file at once store it once."""
        connection = self.session.connection()
        table = cast(Table, BankLine.__table__)
        upsert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        statement = (
            upsert(table)
            .on_conflict_do_nothing(index_elements=["merchant_id", "account_iban", "line_key"])
            .returning(table.c.line_key, table.c.id)
        )
        # On the table, not the ORM entity: the ORM's bulk INSERT splits the batch wherever
        # rows differ in which columns are NULL (hundreds of statements per chunk).
        rows = connection.execute(statement, [self._values(line, matches) for line in lines])
        return {row.line_key: row.id for row in rows}

    def _count(self, fresh: list[StatementLine]) -> None:
        for line in fresh:
            if line.reversal:
                self.summary.reversals += 1
            elif line.direction == Direction.DEBIT:
                self.summary.debits += 1

    def _values(self, line: StatementLine, matches: dict[str, SureMatch]) -> dict[str, Any]:
        """The line's row, as one of a chunk's rows written in a single statement."""
        match = matches.get(line.key)
        if line.reversal:
            state = BankLineState.REVERSAL
        elif line.direction == Direction.DEBIT:
            state = BankLineState.DEBIT
        elif match is not None:
            state = BankLineState.MATCHED
        else:
            state = BankLineState.UNMATCHED
        return {
            "merchant_id": self.merchant_id,
            "statement_id": self.statement_id,
            "account_iban": self.iban,
            "line_key": line.key,
            "state": state,
            "direction": line.direction,
            "reversal": line.reversal,
            "amount": line.amount.minor,
            "currency": line.amount.currency,
            "booking_date": line.booking_date,
            "value_date": line.value_date,
            "bank_reference": _cut(line.bank_reference, 140),
            "end_to_end_id": _cut(line.end_to_end_id, 140),
            "structured_references": list(line.structured_references),
            "remittance": line.remittance,
            "debtor_name": _cut(line.debtor_name, 140),
            "debtor_iban": _cut(line.debtor_iban, 34),
            "rule": match.rule.value if match else None,
            "suggestions": [],
            "reverses_line_id": None,
            "decided_by": DECIDED_BY_PAYLINK if match else None,
            "decided_at": self.ctx.clock() if match else None,
            "imported_at": self.ctx.clock(),
        }

    def _pay(
        self, line_id: int, line: StatementLine, match: SureMatch, invoices: dict[int, Invoice]
    ) -> list[tuple[int, Allocation, Payment]]:
        facts = LineFacts(
            self.iban,
            line.key,
            line.booking_date,
            line.value_date,
            line.debtor_name,
            line.remittance,
        )
        paid = pay_shares(self.ctx, self.session, facts, match, self.statement_ref, invoices)
        self.summary.matched += 1
        self.summary.add_collected(line.amount)
        return [(line_id, allocation, payment) for allocation, payment in paid]

    def _reverse(
        self,
        line_id: int,
        line: StatementLine,
        references: LineReferences,
        resolved: dict[str, CandidateInvoice],
    ) -> None:
        """Undo the credit this reversal takes back: a matched line of the same amount that
        paid the invoices the reversal names. One that names nothing waits for a person."""
        invoice_ids = {resolved[key].id for key in references.all if key in resolved}
        if not invoice_ids:
            return
        original = self.session.scalars(
            select(BankLine)
            .join(BankLineShare, BankLineShare.line_id == BankLine.id)
            .where(
                BankLine.merchant_id == self.merchant_id,
                BankLine.account_iban == self.iban,
                BankLine.state == BankLineState.MATCHED,
                BankLine.amount == line.amount.minor,
                BankLine.currency == line.amount.currency,
                BankLineShare.invoice_id.in_(invoice_ids),
            )
            .order_by(BankLine.id)
            .limit(1)
        ).first()
        if original is None:
            return
        for share in original.shares:
            payment = self.session.get(Payment, share.payment_id)
            if payment is not None:
                reverse_payment_in(self.ctx, self.session, payment)
        original.state = BankLineState.REVERSED
        self.session.execute(
            update(BankLine)
            .where(BankLine.id == line_id)
            .values(
                reverses_line_id=original.id,
                decided_by=DECIDED_BY_PAYLINK,
                decided_at=self.ctx.clock(),
            )
        )


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def save_csv_profile(ctx: ServiceContext, merchant_id: int, profile: CsvProfile) -> None:
    """Save (or replace) the merchant's own layout under its name; a preset's name is taken."""
    if profile.name in PRESETS:
        raise ValidationError(f"{profile.name!r} is a preset's name: choose another")
    with ctx.db.transaction() as session:
        saved = session.scalars(
            select(BankCsvProfile).where(
                BankCsvProfile.merchant_id == merchant_id, BankCsvProfile.name == profile.name
            )
        ).one_or_none()
        if saved is None:
            saved = BankCsvProfile(merchant_id=merchant_id, name=profile.name)
            session.add(saved)
        saved.layout = profile.to_json()
        saved.updated_at = ctx.clock()


def csv_profile(ctx: ServiceContext, merchant_id: int, name: str) -> CsvProfile:
    """A preset, or a layout this merchant saved, by name."""
    if name in PRESETS:
        return PRESETS[name]
    with ctx.db.reading() as session:
        saved = session.scalars(
            select(BankCsvProfile.layout).where(
                BankCsvProfile.merchant_id == merchant_id, BankCsvProfile.name == name
            )
        ).one_or_none()
    if saved is None:
        known = ", ".join(sorted(PRESETS))
        raise ValidationError(
            f"no CSV profile {name!r}: save it first, or use a preset ({known})",
            key="csv_profile_unknown",
            name=name,
        )
    return CsvProfile.from_json(saved)
