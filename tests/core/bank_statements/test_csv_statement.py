"""CSV exports read through a profile: encodings, decimal commas, debit and credit columns,
account details above the table, and errors that name the row."""

from __future__ import annotations

import io
from datetime import date

import pytest

from core.bank_statements import PRESETS, CsvProfile, StatementError, read_statement
from core.errors import ValidationError
from core.money import Money
from core.reconcile import Direction, StatementHeader, StatementLine

CREDIT_MUTUEL = (
    "Compte courant;FR76 1027 8060 0000 0123 4560 123\r\n"
    "Solde au 30/11/2026;1 196,20\r\n"
    "\r\n"
    "Date;Date de valeur;Débit;Crédit;Libellé;Solde\r\n"
    "30/11/2026;30/11/2026;;94,20;VIR SEPA MARTIN CLAIRE RF82F2026000001;1 094,20\r\n"
    "30/11/2026;30/11/2026;-68,00;;PRLV SEPA EDF;1 026,20\r\n"
    "30/11/2026;01/12/2026;;1\u00a0050,00;VIR SEPA DURAND F-2026-000002;2 076,20\r\n"
    "30/11/2026;01/12/2026;;1\u00a0050,00;VIR SEPA DURAND F-2026-000002;3 126,20\r\n"
).encode("cp1252")

BOURSORAMA = (
    "\ufeffdateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;accountNum;"
    "accountLabel;accountbalance\n"
    '2026-11-30;2026-11-30;"VIR Claire Martin";Virements;Revenus;;94,20;"facture f 2026 1";'
    "00012345678;Compte;1196,20\n"
    '2026-11-30;2026-11-30;"CB LIDL";Alimentation;Vie;lidl;-12,34;;00012345678;Compte;1183,86\n'
).encode()


def read(data: bytes, profile: CsvProfile):
    items = list(read_statement(io.BytesIO(data), profile))
    header = items[0]
    assert isinstance(header, StatementHeader)
    return header, [item for item in items if isinstance(item, StatementLine)]


def test_a_cp1252_export_with_account_details_above_the_table():
    header, lines = read(CREDIT_MUTUEL, PRESETS["credit-mutuel"])
    assert header.format == "csv:credit-mutuel" and header.statement_id.startswith("sha256:")
    assert [(line.direction, line.amount) for line in lines] == [
        (Direction.CREDIT, Money(94_20, "EUR")),
        (Direction.DEBIT, Money(68_00, "EUR")),
        (Direction.CREDIT, Money(1050_00, "EUR")),
        (Direction.CREDIT, Money(1050_00, "EUR")),
    ]
    assert lines[2].value_date == date(2026, 12, 1)
    assert lines[0].remittance == "VIR SEPA MARTIN CLAIRE RF82F2026000001"


def test_two_identical_rows_are_two_movements_and_keep_their_keys_in_an_overlapping_export():
    _, lines = read(CREDIT_MUTUEL, PRESETS["credit-mutuel"])
    assert lines[2].key != lines[3].key
    _, again = read(CREDIT_MUTUEL.replace(b"PRLV", b"PRLV2"), PRESETS["credit-mutuel"])
    assert (again[2].key, again[3].key) == (lines[2].key, lines[3].key)


def test_a_utf8_export_with_a_bom_signed_amounts_and_two_label_columns():
    _, lines = read(BOURSORAMA, PRESETS["boursorama"])
    assert lines[0].remittance == "VIR Claire Martin facture f 2026 1"
    assert lines[1].direction == Direction.DEBIT and lines[1].amount == Money(12_34, "EUR")


def test_a_profile_that_does_not_fit_the_file_says_which_columns_it_looked_for():
    with pytest.raises(StatementError, match="no header row with the columns dateOp"):
        read(CREDIT_MUTUEL, PRESETS["boursorama"])


def test_a_bad_cell_names_its_row():
    broken = CREDIT_MUTUEL.replace(b"-68,00", b"-68,0x")
    with pytest.raises(StatementError, match="row 6: '-68,0x' is not an amount"):
        read(broken, PRESETS["credit-mutuel"])
    with pytest.raises(StatementError, match="row 5: '31/02/2026' is not a date"):
        read(
            CREDIT_MUTUEL.replace(b"30/11/2026;30/11/2026;;94", b"31/02/2026;30/11/2026;;94"),
            PRESETS["credit-mutuel"],
        )


def test_a_csv_without_a_profile_is_refused_with_what_to_do():
    with pytest.raises(StatementError, match="needs the profile of its bank"):
        list(read_statement(io.BytesIO(CREDIT_MUTUEL)))


def test_a_saved_profile_round_trips_and_refuses_what_cannot_work():
    profile = CsvProfile.from_json(
        {"name": "ma-banque", "date": "Jour", "label": "Motif", "amount": "Montant"}
    )
    assert CsvProfile.from_json(profile.to_json()) == profile
    with pytest.raises(ValidationError, match="either one signed amount"):
        CsvProfile.from_json({"name": "x", "date": "d", "label": "l"})
    with pytest.raises(ValidationError, match="unknown CSV profile fields: colour"):
        CsvProfile.from_json({"name": "x", "date": "d", "label": "l", "amount": "a", "colour": 1})
