"""camt files as banks send them: every version's shape, batches, reversals, notifications,
and files that must be refused with the reason."""

from __future__ import annotations

import io

import pytest

from core.bank_statements import StatementError, read_statement
from core.money import Money
from core.reconcile import Direction, StatementHeader, StatementLine
from tests.support.bank import IBAN, camt


def read(data: bytes) -> tuple[list[StatementHeader], list[StatementLine]]:
    items = list(read_statement(io.BytesIO(data)))
    return (
        [item for item in items if isinstance(item, StatementHeader)],
        [item for item in items if isinstance(item, StatementLine)],
    )


def as_version(name: str, version: str) -> bytes:
    """A fixture under another version's namespace: versions that share its shape."""
    kind = name.split(".")[1]
    return camt(name).replace(
        f"camt.{kind}.001.{name.split('.')[3]}".encode(), f"camt.{kind}.001.{version}".encode()
    )


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06"])
def test_the_text_status_shape_reads_the_same_in_every_version_that_has_it(version):
    headers, lines = read(as_version("camt.053.001.02.xml", version))
    assert [(h.format, h.account_iban) for h in headers] == [(f"camt.053.001.{version}", IBAN)]
    assert [line.amount.minor for line in lines] == [94_20, 50_00, 70_00, 50_00, 68_00]
    assert [line.direction for line in lines].count(Direction.DEBIT) == 1


@pytest.mark.parametrize("version", ["07", "08", "09", "10", "11", "12"])
def test_the_coded_status_and_party_shape_reads_the_same_from_v07_on(version):
    _, lines = read(as_version("camt.053.001.08.xml", version))
    reversal, transfer = lines
    assert reversal.reversal and reversal.direction == Direction.DEBIT
    assert transfer.debtor_name == "Atelier Petit SAS"
    assert transfer.debtor_iban == "DE89370400440532013000"
    assert transfer.structured_references == ("RF98F2026000004", "RF71F2026000005")
    assert transfer.end_to_end_id == "ORDER-4471"


def test_a_batch_is_one_line_per_transaction_keyed_under_the_entry():
    _, lines = read(camt("camt.053.001.02.xml"))
    batch = [line for line in lines if line.bank_reference == "0411307A0003"]
    assert [(line.key, line.amount) for line in batch] == [
        ("ref:0411307A0003/0", Money(70_00, "EUR")),
        ("ref:0411307A0003/1", Money(50_00, "EUR")),
    ]


def test_pending_entries_wait_for_the_statement_that_books_them():
    _, lines = read(camt("camt.053.001.02.xml"))
    assert "ref:0411307A0005" not in {line.key for line in lines}


def test_a_notification_says_the_same_line_with_the_same_key_as_the_statement():
    _, notified = read(camt("camt.054.001.04.xml"))
    _, stated = read(camt("camt.053.001.02.xml"))
    assert notified[0].key == stated[0].key == "ref:0411307A0001"


def test_an_entry_without_a_bank_reference_is_keyed_by_what_it_says():
    _, first = read(camt("camt.053.001.08.xml"))
    _, again = read(camt("camt.053.001.08.xml"))
    assert first[1].key.startswith("sum:") and first[1].key == again[1].key


def test_missing_optional_elements_are_none_not_errors():
    _, lines = read(camt("camt.053.001.02.xml"))
    debit = lines[-1]
    assert (debit.debtor_name, debit.structured_references, debit.remittance) == (
        None,
        (),
        "PRLV SEPA EDF",
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("billion-laughs.xml", "declares a DTD"),
        ("external-entity.xml", "declares a DTD"),
        ("truncated.xml", "line 7, column 0: not well-formed"),
    ],
)
def test_hostile_or_broken_files_are_refused_with_the_reason(name, reason):
    with pytest.raises(StatementError, match=reason):
        read(camt(name))


def test_an_xml_file_that_is_not_camt_is_refused():
    with pytest.raises(StatementError, match="not an ISO 20022 camt"):
        read(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')


def test_an_amount_in_an_unknown_currency_is_refused():
    unknown = camt("camt.054.001.04.xml").replace(b'Ccy="EUR">94.20', b'Ccy="XYZ">94.20', 1)
    with pytest.raises(StatementError, match="an entry"):
        read(unknown)


def test_a_large_statement_streams_in_flat_memory():
    import tracemalloc

    entry = camt("camt.053.001.02.xml").split(b"<Ntry>")[2].split(b"</Ntry>")[0]
    head, _, _ = camt("camt.053.001.02.xml").partition(b"<Bal>")

    def document(count: int) -> bytes:
        entries = b"".join(
            b"<Ntry>" + entry.replace(b"0411307A0002", b"R%07d" % n) + b"</Ntry>"
            for n in range(count)
        )
        return head + entries + b"</Stmt></BkToCstmrStmt></Document>"

    def peak(count: int) -> int:
        data = document(count)
        tracemalloc.start()
        lines = sum(
            1 for item in read_statement(io.BytesIO(data)) if isinstance(item, StatementLine)
        )
        assert lines == count
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    assert peak(10_000) < 2 * peak(1_000)
