"""Importing bank statements: each line stored once, sure matches paid at once through the
payment service, everything else queued for a person.

A file is one transaction: it is imported whole or not at all (a line that cannot be read, or a
statement for another account, leaves nothing behind). Lines are read as a stream and handled
in chunks, each with one query for the lines already known and one for the invoices their
references name, so a 100,000-line statement runs in flat memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.bank_statements import PRESETS, CsvProfile, StatementError, read_statement
from core.errors import ValidationError
from core.money import Money
from core.reconcile import (
    CandidateInvoice,
    Direction,
    LineReferences,
    StatementHeader,
    StatementLine,
    SureMatch,
    match_line,
    references_of,
)
from core.services.bank_matching import CHUNK, pay_shares, resolve, suggest
from core.services.context import ServiceContext
from core.services.payment_accounts import merchant_bank_account
from core.services.payments import reverse_payment_in
from core.storage.bank_models import (
    BankCsvProfile,
    BankLine,
    BankLineShare,
    BankLineState,
    BankStatement,
)
from core.storage.models import Merchant, Payment


@dataclass
class ImportSummary:
    """What one file did, for the CLI, the API and the console."""

    statements: int = 0
    already_imported: int = 0
    lines: int = 0
    duplicates: int = 0
    matched: int = 0
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
        importer.flush()
        if importer.summary.statements == 0:
            raise StatementError("the file holds no statement")
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
        self.statement: BankStatement | None = None
        self.pending: list[StatementLine] = []
        self.seen: set[str] = set()

    def take(self, item: StatementHeader | StatementLine) -> None:
        if isinstance(item, StatementHeader):
            self.flush()
            self.statement = self._start(item)
        elif self.statement is not None:
            self.pending.append(item)
            if len(self.pending) >= CHUNK:
                self.flush()

    def _start(self, header: StatementHeader) -> BankStatement | None:
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
        return statement

    def flush(self) -> None:
        lines, self.pending = self.pending, []
        if not lines or self.statement is None:
            return
        fresh = self._fresh(lines)
        references = {
            line.key: references_of(line, self.prefixes)
            for line in fresh
            if line.direction == Direction.CREDIT or line.reversal
        }
        resolved = resolve(
            self.session, self.merchant_id, {k for r in references.values() for k in r.all}
        )
        unmatched = []
        for line in fresh:
            row = self._store(line)
            if row.state == BankLineState.UNMATCHED:
                refs = references.get(line.key, LineReferences((), ()))
                match = match_line(line, refs, resolved)
                if match is not None:
                    self._pay(row, line, match)
                else:
                    unmatched.append((row, line))
            elif row.state == BankLineState.REVERSAL:
                self._reverse(row, references[line.key], resolved)
        suggest(self.session, self.merchant_id, unmatched)
        self.summary.unmatched += len(unmatched)
        self.statement.line_count += len(fresh)
        self.session.flush()
        if self.progress is not None:
            self.progress(len(lines))

    def _fresh(self, lines: Sequence[StatementLine]) -> list[StatementLine]:
        """The lines neither stored before nor already seen in this file."""
        keys = [line.key for line in lines]
        known = set(
            self.session.scalars(
                select(BankLine.line_key).where(
                    BankLine.merchant_id == self.merchant_id,
                    BankLine.account_iban == self.iban,
                    BankLine.line_key.in_(keys),
                )
            )
        )
        fresh = []
        for line in lines:
            self.summary.lines += 1
            if line.key in known or line.key in self.seen:
                self.summary.duplicates += 1
                continue
            self.seen.add(line.key)
            fresh.append(line)
        return fresh

    def _store(self, line: StatementLine) -> BankLine:
        if line.reversal:
            state = BankLineState.REVERSAL
            self.summary.reversals += 1
        elif line.direction == Direction.DEBIT:
            state = BankLineState.DEBIT
            self.summary.debits += 1
        else:
            state = BankLineState.UNMATCHED
        assert self.statement is not None
        row = BankLine(
            merchant_id=self.merchant_id,
            statement_id=self.statement.id,
            account_iban=self.iban,
            line_key=line.key[:200],
            state=state,
            direction=line.direction,
            reversal=line.reversal,
            amount=line.amount.minor,
            currency=line.amount.currency,
            booking_date=line.booking_date,
            value_date=line.value_date,
            bank_reference=_cut(line.bank_reference, 140),
            end_to_end_id=_cut(line.end_to_end_id, 140),
            structured_references=list(line.structured_references),
            remittance=line.remittance,
            debtor_name=_cut(line.debtor_name, 140),
            debtor_iban=_cut(line.debtor_iban, 34),
            suggestions=[],
            imported_at=self.ctx.clock(),
        )
        if self.statement.id is None:
            self.session.flush()
            row.statement_id = self.statement.id
        self.session.add(row)
        return row

    def _pay(self, row: BankLine, line: StatementLine, match: SureMatch) -> None:
        pay_shares(self.ctx, self.session, row, match, self.statement_ref)
        row.state = BankLineState.MATCHED
        row.rule = match.rule.value
        row.decided_by = "paylink"
        row.decided_at = self.ctx.clock()
        self.summary.matched += 1
        self.summary.add_collected(line.amount)

    @property
    def statement_ref(self) -> str:
        return self.statement.statement_ref if self.statement is not None else ""

    def _reverse(
        self, row: BankLine, references: LineReferences, resolved: dict[str, CandidateInvoice]
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
                BankLine.amount == row.amount,
                BankLine.currency == row.currency,
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
        row.reverses_line_id = original.id
        row.decided_by = "paylink"
        row.decided_at = self.ctx.clock()


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def open_exceptions_count(ctx: ServiceContext, merchant_id: int) -> int:
    with ctx.db.reading() as session:
        return (
            session.scalar(
                select(func.count(BankLine.id)).where(
                    BankLine.merchant_id == merchant_id,
                    BankLine.state == BankLineState.UNMATCHED,
                )
            )
            or 0
        )


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
