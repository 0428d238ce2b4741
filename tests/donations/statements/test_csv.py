"""CSV through a mapping: mBank (preamble, "#" headers, Windows-1250, "1 234,56 PLN"), PKO BP
(quoted, blank header cells named by position, "+150.00"), a UK bank (paid in / paid out)."""

from __future__ import annotations

import pytest

from ngo.donations.references import find_references
from ngo.donations.statements import CsvMapping, MappingError, parse_statement_file
from tests.donations.statements.helpers import MAPPINGS, parse_fixture, summary


def test_mbank_csv_with_preamble_and_footer():
    (statement,) = parse_fixture("mbank_operacje.csv", "csv")
    assert statement.format == "csv"
    assert statement.account_iban == "PL89114020040000350212345678"
    assert statement.currency == "PLN"
    assert summary(statement) == [
        ("2024-03-05", 15000, "PLN"),
        ("2024-03-05", -4999, "PLN"),
        ("2024-03-05", 123456, "PLN"),
    ]
    assert statement.lines[0].counterparty_name == "ANNA NOWAK UL. POLNA 5 00-001 WARSZAWA"
    assert find_references(statement.lines[0].remittance_text) == ["VTTH-FJCH"]
    assert statement.lines[0].source_line == 26


def test_pko_bp_csv_quoted_with_a_column_named_by_position():
    (statement,) = parse_fixture("pko_bp_historia.csv", "csv")
    assert summary(statement) == [
        ("2024-03-05", 15000, "PLN"),
        ("2024-03-05", -120000, "PLN"),
        ("2024-03-05", 20000, "PLN"),
    ]
    assert statement.lines[0].counterparty_name == "Nazwa nadawcy: JAN KOWALSKI"
    assert find_references(statement.lines[2].remittance_text) == ["Q99F-7VQJ"]


def test_uk_csv_with_paid_in_and_paid_out_columns():
    (statement,) = parse_fixture("uk_bank.csv", "csv")
    assert summary(statement) == [
        ("2024-03-05", 3000, "GBP"),
        ("2024-03-05", -12000, "GBP"),
        ("2024-03-06", 100000, "GBP"),
    ]
    assert find_references(statement.lines[0].remittance_text) == ["HP33-FC8R"]


@pytest.mark.parametrize(
    ("cell", "thousands", "decimal", "minor"),
    [
        ("1 234,56", " ", ",", 123456),
        ("1\u00a0234,56", " ", ",", 123456),
        ("-1 234,56 PLN", " ", ",", -123456),
        ("1.234,56", ".", ",", 123456),
        ("1,234.56", ",", ".", 123456),
        ("1234.5", "", ".", 123450),
        ("+7", "", ",", 700),
    ],
)
def test_amounts_as_banks_write_them(cell, thousands, decimal, minor):
    mapping = CsvMapping(
        date="d", amount="a", default_currency="PLN", thousands=thousands, decimal=decimal
    )
    data = f'd;a\n2024-03-05;"{cell}"\n'.encode()
    (statement,) = parse_statement_file(data, "x.csv", "csv", mapping)
    assert statement.lines[0].amount_minor == minor


def test_a_mapping_round_trips_through_json():
    mapping = MAPPINGS["mbank_operacje.csv"]
    assert CsvMapping.from_json(mapping.to_json()) == mapping


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"date": "", "amount": "a", "default_currency": "PLN"}, "date"),
        ({"date": "d", "default_currency": "PLN"}, "amount"),
        ({"date": "d", "amount": "a", "credit": "c", "default_currency": "PLN"}, "amount"),
        ({"date": "d", "amount": "a"}, "currency"),
        ({"date": "d", "amount": "a", "default_currency": "PLN", "encoding": "latin9"}, "encoding"),
        ({"date": "d", "amount": "a", "default_currency": "PLN", "thousands": ","}, "thousands"),
        (
            {"date": "d", "amount": "a", "default_currency": "PLN", "date_format": "Y"},
            "date_format",
        ),
        ({"date": "0", "amount": "a", "default_currency": "PLN"}, "date"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused(values, field):
    with pytest.raises(MappingError) as caught:
        CsvMapping(**values)
    assert caught.value.field == field
