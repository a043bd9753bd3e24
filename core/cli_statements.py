"""`paylink import-statement` and `paylink save-csv-profile`: bank statements from the command
line, with a progress bar on large files and a summary a merchant can read."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click
from flask.cli import with_appcontext

from core.bank_statements import PRESETS, CsvProfile
from core.cli_errors import reports_errors
from core.errors import ValidationError
from core.money import Money
from core.services import reconciliation
from core.web.current import services


@click.command("import-statement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option(
    "--csv-profile",
    "profile_name",
    help=f"For a CSV export: a preset ({', '.join(sorted(PRESETS))}) or a saved layout.",
)
@with_appcontext
@reports_errors
def import_statement(file: Path, merchant_id: int, profile_name: str | None) -> None:
    """Import a bank statement (camt.053/054 or CSV): transfers naming an invoice pay it, the
    others wait in the console's exceptions queue. A file is imported whole or not at all."""
    ctx = services()
    profile = reconciliation.csv_profile(ctx, merchant_id, profile_name) if profile_name else None
    with (
        file.open("rb") as source,
        click.progressbar(length=file.stat().st_size, label="importing", file=sys.stderr) as bar,
    ):
        summary = reconciliation.import_statement(
            ctx,
            merchant_id,
            source,
            f"command line ({file.name})",
            profile,
            progress=_advance(bar, source),
        )
    for line in summary_lines(summary):
        click.echo(line)


def _advance(bar: Any, source: BinaryIO) -> Callable[[int], None]:
    """Move the bar by the bytes read so far (a statement's line count is unknown ahead)."""
    done = [0]

    def advance(_lines: int) -> None:
        position = source.tell()
        bar.update(max(position - done[0], 0))
        done[0] = max(position, done[0])

    return advance


def summary_lines(summary: reconciliation.ImportSummary) -> list[str]:
    lines = [
        f"{summary.lines} lines read in {summary.statements} statement(s)",
        f"  {summary.matched} paid an invoice by their reference",
        f"  {summary.payouts} were payouts of a payment provider",
        f"  {summary.unmatched} wait in the exceptions queue",
        f"  {summary.debits} debits and {summary.reversals} reversals recorded",
    ]
    if summary.duplicates or summary.already_imported:
        lines.append(
            f"  {summary.duplicates} lines and {summary.already_imported} statements "
            "were already imported: added nothing"
        )
    for currency, minor in sorted(summary.collected.items()):
        lines.append(f"  collected {Money(minor, currency)}")
    return lines


@click.command("save-csv-profile")
@click.argument("layout", type=click.File("r"))
@click.option("--merchant", "merchant_id", type=int, required=True)
@with_appcontext
@reports_errors
def save_csv_profile(layout: TextIO, merchant_id: int) -> None:
    """Save the CSV layout of your bank (JSON: name, date, label, amount or debit and credit,
    delimiter, date_format, decimal_separator, currency) to name it at each import."""
    try:
        data = json.load(layout)
    except json.JSONDecodeError as error:
        raise ValidationError(f"the layout is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValidationError("the layout is a JSON object")
    profile = CsvProfile.from_json(data)
    reconciliation.save_csv_profile(services(), merchant_id, profile)
    click.echo(f"CSV profile {profile.name!r} saved")
