"""ISO 20022 bank-to-customer statements (camt.053), notifications (camt.054) and intraday
reports (camt.052), every version banks send (.001.02 to .001.12), read as a stream.

The file is parsed by expat through defusedxml with DTDs forbidden, so an entity bomb or an
external entity is refused before anything expands (camt never needs a DTD). Each entry is
turned into lines as soon as it ends and then dropped from the tree, so a 100,000-entry
statement is read in flat memory. Versions differ in a few places the readers below absorb:
`Sts` as text (V02-V06) or `Sts/Cd` (V07+), the debtor as `Dbtr/Nm` or `Dbtr/Pty/Nm`, a
transaction's amount in `TxDtls/Amt` or (V02) `TxDtls/AmtDtls/TxAmt/Amt`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_xml

from core.bank_statements.errors import StatementError
from core.errors import ValidationError
from core.money import Money
from core.reconcile import Direction, StatementHeader, StatementLine

_NAMESPACE = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:(camt\.05[234]\.001\.\d{2}))\}")
_CONTAINERS = frozenset({"Stmt", "Ntfctn", "Rpt"})
_OPENING = ("OPBD", "PRCD")


@dataclass
class _Statement:
    """What precedes a statement's entries (its id, account, balances), and the sum of its
    booked entries, to check that the balances add up."""

    format: str
    statement_id: str | None = None
    iban: str | None = None
    currency: str | None = None
    balances: dict[str, Money] = field(default_factory=dict)
    booked: Money | None = None
    header: StatementHeader | None = None

    def start(self) -> StatementHeader | None:
        """The header the first time it is asked for, None afterwards."""
        if self.header is not None:
            return None
        if not self.statement_id:
            raise StatementError("a statement has no Id", key="statement_no_id")
        self.header = StatementHeader(self.format, self.statement_id, self.iban, self.currency)
        return self.header

    def add_booked(self, amount: Money, direction: str) -> None:
        signed = amount if direction == "CRDT" else -amount
        self.booked = signed if self.booked is None else self.booked + signed


def read_camt(source: BinaryIO) -> Iterator[StatementHeader | StatementLine]:
    """Each statement's header, then its booked lines, in document order. Malformed XML, a DTD
    or an entity is a `StatementError` naming the line it was found on."""
    try:
        yield from _read(source)
    except ParseError as error:
        line, column = error.position
        raise StatementError(
            f"line {line}, column {column}: not well-formed XML",
            key="statement_xml",
            line=line,
            column=column,
        ) from None
    except defusedxml.DTDForbidden:
        raise StatementError(
            "the file declares a DTD, which a bank statement never has", key="statement_dtd"
        ) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise StatementError(
            "the file declares XML entities, which are refused", key="statement_entities"
        ) from None


def _read(source: BinaryIO) -> Iterator[StatementHeader | StatementLine]:
    parents: list[Element] = []
    ns: dict[str, str] = {}
    statement: _Statement | None = None
    for event, element in safe_xml.iterparse(source, ("start", "end"), forbid_dtd=True):
        if event == "start":
            if not parents:
                ns = _namespace_of(element)
            parents.append(element)
            continue
        parents.pop()
        name = _local(element)
        parent = _local(parents[-1]) if parents else ""
        if name in _CONTAINERS and statement is not None:
            header = statement.start()
            if header is not None:
                yield header
            _check_balances(statement)
            statement = None
            parents[-1].remove(element)
        elif parent in _CONTAINERS:
            statement = statement or _Statement(ns["format"])
            if name == "Ntry":
                header = statement.start()
                if header is not None:
                    yield header
                yield from _entry_lines(element, ns, statement)
                parents[-1].remove(element)
            else:
                _read_header_part(name, element, ns, statement)
    if not ns:
        raise StatementError("the file is empty", key="statement_empty")


def _local(element: Element) -> str:
    return element.tag.rpartition("}")[2]


def _namespace_of(root: Element) -> dict[str, str]:
    found = _NAMESPACE.fullmatch(root.tag.rpartition("}")[0] + "}")
    if found is None or _local(root) != "Document":
        raise StatementError(
            f"not an ISO 20022 camt.052, camt.053 or camt.054 document (its root is {root.tag!r})",
            key="statement_root",
            root=_local(root),
        )
    return {"c": found.group(1), "format": found.group(2)}


def _text(element: Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(_qualified(path, ns["c"]))
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _all_texts(element: Element, path: str, ns: dict[str, str]) -> list[str]:
    return [
        found.text.strip()
        for found in element.findall(_qualified(path, ns["c"]))
        if found.text and found.text.strip()
    ]


@functools.lru_cache(maxsize=256)
def _qualified(path: str, uri: str) -> str:
    """The path in Clark notation ({uri}Tag/{uri}Child): found without a prefix map to
    resolve on every call, which a 100,000-entry statement would feel."""
    return "/".join(f"{{{uri}}}{step}" for step in path.split("/"))


def _amount(element: Element | None, where: str) -> Money | None:
    if element is None or element.text is None:
        return None
    try:
        return Money.parse(element.text, element.get("Ccy", ""))
    except ValidationError as error:
        raise StatementError(
            f"{where}: {error.message}",
            key="statement_amount",
            where=where,
            amount=f"{element.text} {element.get('Ccy', '')}".strip(),
        ) from None


def _date(element: Element, path: str, ns: dict[str, str]) -> date | None:
    value = _text(element, f"{path}/Dt", ns) or _text(element, f"{path}/DtTm", ns)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise StatementError(
            f"{path} {value!r} is not a date", key="statement_date", path=path, value=value
        ) from None


def _read_header_part(name: str, element: Element, ns: dict[str, str], st: _Statement) -> None:
    if name == "Id":
        st.statement_id = (element.text or "").strip() or None
    elif name == "Acct":
        st.iban = _text(element, "Id/IBAN", ns) or _text(element, "Id/Othr/Id", ns)
        st.currency = _text(element, "Ccy", ns)
    elif name == "Bal":
        code = _text(element, "Tp/CdOrPrtry/Cd", ns)
        amount = _amount(element.find(_qualified("Amt", ns["c"])), "a balance")
        if code and amount is not None:
            st.balances[code] = amount if _text(element, "CdtDbtInd", ns) != "DBIT" else -amount


def _check_balances(st: _Statement) -> None:
    """Opening balance plus booked entries must be the closing balance: a statement that does
    not add up was cut or garbled, and importing half of it would hide money."""
    opening = next((st.balances[code] for code in _OPENING if code in st.balances), None)
    closing = st.balances.get("CLBD")
    if opening is None or closing is None:
        return
    moved = st.booked if st.booked is not None else Money.zero(opening.currency)
    if moved.currency != opening.currency or opening + moved != closing:
        raise StatementError(
            f"statement {st.statement_id}: the opening balance {opening} plus the booked "
            f"entries {moved} is not the closing balance {closing}; the file is incomplete",
            key="statement_balance",
            statement=st.statement_id,
            opening=str(opening),
            moved=str(moved),
            closing=str(closing),
        )


def _entry_lines(entry: Element, ns: dict[str, str], st: _Statement) -> Iterator[StatementLine]:
    amount = _amount(entry.find(_qualified("Amt", ns["c"])), "an entry")
    direction = _text(entry, "CdtDbtInd", ns)
    if amount is None or direction not in ("CRDT", "DBIT"):
        raise StatementError(
            f"statement {st.statement_id}: an entry has no amount or direction",
            key="statement_entry",
            statement=st.statement_id,
        )
    status = _text(entry, "Sts", ns) or _text(entry, "Sts/Cd", ns) or _text(entry, "Sts/Prtry", ns)
    if status != "BOOK":
        return  # pending or information only: the booked entry will come in a later statement
    st.add_booked(amount, direction)
    shared = _Entry(
        amount=amount,
        direction=direction,
        reversal=(_text(entry, "RvslInd", ns) or "").lower() in ("true", "1"),
        booking_date=_date(entry, "BookgDt", ns),
        value_date=_date(entry, "ValDt", ns),
        bank_reference=_text(entry, "AcctSvcrRef", ns),
        entry_reference=_text(entry, "NtryRef", ns),
        information=_text(entry, "AddtlNtryInf", ns) or "",
    )
    transactions = entry.findall(_qualified("NtryDtls/TxDtls", ns["c"]))
    if len(transactions) > 1 and any(_transaction_amount(tx, ns) is None for tx in transactions):
        transactions = transactions[:1]  # a batch without its parts' amounts stays one line
    if not transactions:
        yield shared.line(None, ns, 0, single=True)
    for index, transaction in enumerate(transactions):
        yield shared.line(transaction, ns, index, single=len(transactions) == 1)


def _transaction_amount(transaction: Element, ns: dict[str, str]) -> Money | None:
    element = transaction.find(_qualified("Amt", ns["c"]))
    if element is None:
        element = transaction.find(_qualified("AmtDtls/TxAmt/Amt", ns["c"]))
    return _amount(element, "a transaction")


@dataclass(frozen=True)
class _Entry:
    """The entry-level facts every line of a (batched) entry shares."""

    amount: Money
    direction: str
    reversal: bool
    booking_date: date | None
    value_date: date | None
    bank_reference: str | None
    entry_reference: str | None
    information: str

    def line(
        self, tx: Element | None, ns: dict[str, str], index: int, single: bool
    ) -> StatementLine:
        def text(path: str) -> str | None:
            return _text(tx, path, ns) if tx is not None else None

        def texts(path: str) -> list[str]:
            return _all_texts(tx, path, ns) if tx is not None else []

        amount = (_transaction_amount(tx, ns) if tx is not None else None) or self.amount
        direction = text("CdtDbtInd") or self.direction
        remittance = " ".join(
            [*texts("RmtInf/Ustrd"), *texts("AddtlTxInf"), self.information]
        ).strip()
        end_to_end = text("Refs/EndToEndId")
        line_reference = text("Refs/AcctSvcrRef")
        key = _line_key(
            line_reference,
            self.bank_reference,
            index,
            single,
            fingerprint=(
                self.booking_date,
                self.value_date,
                amount,
                direction,
                self.reversal,
                self.entry_reference,
                end_to_end,
                text("Refs/TxId"),
                remittance,
            ),
        )
        return StatementLine(
            key=key,
            amount=amount,
            direction=Direction.CREDIT if direction == "CRDT" else Direction.DEBIT,
            booking_date=self.booking_date,
            value_date=self.value_date,
            reversal=self.reversal,
            bank_reference=line_reference or self.bank_reference,
            end_to_end_id=end_to_end if end_to_end != "NOTPROVIDED" else None,
            structured_references=tuple(texts("RmtInf/Strd/CdtrRefInf/Ref")),
            remittance=remittance,
            debtor_name=(
                text("RltdPties/Dbtr/Nm")
                or text("RltdPties/Dbtr/Pty/Nm")
                or text("RltdPties/UltmtDbtr/Nm")
                or text("RltdPties/UltmtDbtr/Pty/Nm")
            ),
            debtor_iban=text("RltdPties/DbtrAcct/Id/IBAN"),
        )


def _line_key(
    line_reference: str | None,
    entry_reference: str | None,
    index: int,
    single: bool,
    fingerprint: tuple[object, ...],
) -> str:
    """The bank's own reference for the line when it has one (a batch's parts numbered under
    the entry's), else a fingerprint of what the line says: the same line in an overlapping
    statement gets the same key."""
    if line_reference:
        return f"ref:{line_reference}"
    if entry_reference:
        return f"ref:{entry_reference}" if single else f"ref:{entry_reference}/{index}"
    digest = hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:32]
    return f"sum:{digest}/{index}"
