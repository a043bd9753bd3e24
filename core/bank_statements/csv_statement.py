"""Bank statements exported as CSV, read through a profile: which columns hold the date, the
label and the amount, and how this bank writes dates, decimals and text.

Banks disagree on everything (";" or ",", "1 234,56" or "1234.56", one signed amount or debit
and credit columns, cp1252 or UTF-8 with a BOM, a few lines of account details before the
table), so a profile says it once per bank; presets cover common French layouts and a merchant
saves their own. The header row is found by its column names, wherever it stands.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from core.bank_statements.errors import StatementError
from core.errors import ValidationError
from core.money import Money, currency_code
from core.reconcile import Direction, StatementHeader, StatementLine

#: How far down the file the header row may be (banks put account details above it).
HEADER_SEARCH_ROWS = 30
_SNIFF_BYTES = 1 << 20
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """How one bank writes its CSV export. Either `amount` (signed) or `debit` and `credit`
    name the money columns; `label` may list several columns joined into the remittance."""

    name: str
    date: str
    label: tuple[str, ...]
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    value_date: str | None = None
    payer: str | None = None
    delimiter: str = ";"
    date_format: str = "%d/%m/%Y"
    decimal_separator: str = ","
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.date.strip() or not self.label:
            raise ValidationError("a CSV profile needs a name, a date column and a label column")
        if (self.amount is None) == (self.debit is None or self.credit is None):
            raise ValidationError(
                "a CSV profile names either one signed amount column or debit and credit columns"
            )
        if len(self.delimiter) != 1 or self.decimal_separator not in (",", "."):
            raise ValidationError("the delimiter is one character, the decimal separator , or .")
        try:
            datetime(2026, 12, 31).strftime(self.date_format)
            datetime.strptime(datetime(2026, 12, 31).strftime(self.date_format), self.date_format)
        except ValueError:
            raise ValidationError(f"date format {self.date_format!r} cannot be read") from None
        object.__setattr__(self, "currency", currency_code(self.currency))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CsvProfile:
        known = {item.name for item in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValidationError(f"unknown CSV profile fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        label = values.get("label")
        values["label"] = (label,) if isinstance(label, str) else tuple(label or ())
        try:
            return cls(**values)
        except TypeError as error:
            raise ValidationError(f"CSV profile: {error}") from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["label"] = list(self.label)
        return data

    def columns(self) -> tuple[str, ...]:
        wanted = (
            self.date,
            *self.label,
            self.amount,
            self.debit,
            self.credit,
            self.value_date,
            self.payer,
        )
        return tuple(column for column in wanted if column)


PRESETS: dict[str, CsvProfile] = {
    profile.name: profile
    for profile in (
        CsvProfile(
            "credit-mutuel",
            date="Date",
            value_date="Date de valeur",
            debit="Débit",
            credit="Crédit",
            label=("Libellé",),
        ),
        CsvProfile(
            "boursorama",
            date="dateOp",
            value_date="dateVal",
            amount="amount",
            label=("label", "comment"),
            date_format="%Y-%m-%d",
        ),
        CsvProfile("la-banque-postale", date="Date", amount="Montant(EUROS)", label=("Libellé",)),
        CsvProfile(
            "iso",
            date="date",
            amount="amount",
            label=("label",),
            payer="payer",
            delimiter=",",
            date_format="%Y-%m-%d",
            decimal_separator=".",
        ),
    )
}


def read_csv(source: BinaryIO, profile: CsvProfile) -> Iterator[StatementHeader | StatementLine]:
    """The statement's header (its id is the file's digest), then one line per row."""
    digest, encoding = _digest_and_encoding(source)
    text = io.TextIOWrapper(source, encoding=encoding, newline="")
    rows = csv.reader(text, delimiter=profile.delimiter)
    try:
        positions, header_row = _header(rows, profile)
        yield StatementHeader(f"csv:{profile.name}", f"sha256:{digest}", None, profile.currency)
        seen: Counter[str] = Counter()
        for number, row in enumerate(rows, start=header_row + 1):
            if not any(cell.strip() for cell in row):
                continue
            cells = {column: _cell(row, index) for column, index in positions.items()}
            yield _line(cells, profile, seen, number)
    except csv.Error as error:
        raise StatementError(
            f"row {rows.line_num}: {error}", key="statement_csv", row=rows.line_num, detail=error
        ) from None
    finally:
        text.detach()


def _digest_and_encoding(source: BinaryIO) -> tuple[str, str]:
    """The file's SHA-256 (its identity) and its encoding: UTF-8 (BOM or not) when its start
    decodes as such, else Windows-1252, which older French banks still use."""
    digest = hashlib.sha256()
    start = source.read(_SNIFF_BYTES)
    digest.update(start)
    for block in iter(lambda: source.read(1 << 16), b""):
        digest.update(block)
    source.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return digest.hexdigest(), encoding


def _normal(name: str) -> str:
    return name.strip().casefold()


def _header(rows: Iterator[list[str]], profile: CsvProfile) -> tuple[dict[str, int], int]:
    wanted = profile.columns()
    for row_number, row in enumerate(rows, start=1):
        names = {_normal(cell): index for index, cell in enumerate(row)}
        if all(_normal(column) in names for column in wanted):
            return {column: names[_normal(column)] for column in wanted}, row_number
        if row_number >= HEADER_SEARCH_ROWS:
            break
    raise StatementError(
        f"no header row with the columns {', '.join(wanted)} (profile {profile.name!r})",
        key="statement_header",
        columns=", ".join(wanted),
    )


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _line(
    cells: dict[str, str], profile: CsvProfile, seen: Counter[str], row: int
) -> StatementLine:
    booked = _date(cells[profile.date], profile, row)
    value_date = _date(cells[profile.value_date], profile, row) if profile.value_date else None
    amount = _signed_amount(cells, profile, row)
    label = " ".join(cells[column] for column in profile.label if cells[column])
    direction = Direction.DEBIT if amount < 0 else Direction.CREDIT
    money = Money(abs(int(amount.scaleb(Money.zero(profile.currency).exponent))), profile.currency)
    fingerprint = repr((booked, value_date, money, direction, label))
    seen[fingerprint] += 1
    # Two identical rows (same day, amount and label) are two movements: the occurrence number
    # keeps them apart, and an overlapping export that holds the same day numbers them alike.
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return StatementLine(
        key=f"csv:{digest}/{seen[fingerprint]}",
        amount=money,
        direction=direction,
        booking_date=booked,
        value_date=value_date,
        remittance=label,
        debtor_name=cells[profile.payer] or None if profile.payer else None,
    )


def _date(value: str, profile: CsvProfile, row: int) -> date:
    try:
        return datetime.strptime(value, profile.date_format).date()
    except ValueError:
        written = profile.date_format
        raise StatementError(
            f"row {row}: {value!r} is not a date written {written}",
            key="statement_csv_date",
            row=row,
            value=value,
            format=written,
        ) from None


def _signed_amount(cells: dict[str, str], profile: CsvProfile, row: int) -> Decimal:
    if profile.amount is not None:
        return _decimal(cells[profile.amount], profile, row)
    debit = _decimal(cells[profile.debit or ""] or "0", profile, row)
    credit = _decimal(cells[profile.credit or ""] or "0", profile, row)
    if debit and credit:
        raise StatementError(f"row {row}: both a debit and a credit", key="statement_both", row=row)
    return credit if credit else -abs(debit)


def _decimal(value: str, profile: CsvProfile, row: int) -> Decimal:
    compact = _SPACES.sub("", value)
    if profile.decimal_separator == ",":
        compact = compact.replace(".", "").replace(",", ".")
    else:
        compact = compact.replace(",", "")
    negative = compact.endswith("-")
    try:
        amount = Decimal(compact.rstrip("-").lstrip("+"))
    except InvalidOperation:
        raise StatementError(
            f"row {row}: {value!r} is not an amount",
            key="statement_csv_amount",
            row=row,
            value=value,
        ) from None
    exponent = Money.zero(profile.currency).exponent
    if not amount.is_finite() or amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise StatementError(
            f"row {row}: {value!r} is not an amount in {profile.currency}",
            key="statement_csv_decimals",
            row=row,
            value=value,
            currency=profile.currency,
        )
    return -amount if negative else amount
