"""Shared by the statement parser tests: the fixture files and the mappings of their banks."""

from __future__ import annotations

from pathlib import Path

from ngo.donations.statements import CsvMapping, ParsedStatement, parse_statement_file

FIXTURES = Path(__file__).parent / "fixtures"

MAPPINGS = {
    "mbank_operacje.csv": CsvMapping(
        date="Data księgowania",
        value_date="Data operacji",
        amount="Kwota",
        default_currency="PLN",
        remittance=["Tytuł"],
        counterparty=["Nadawca/Odbiorca"],
        thousands=" ",
        encoding="cp1250",
        account_iban="PL89 1140 2004 0000 3502 1234 5678",
    ),
    "pko_bp_historia.csv": CsvMapping(
        date="Data operacji",
        value_date="Data waluty",
        amount="Kwota",
        currency="Waluta",
        remittance=["Opis transakcji"],
        counterparty=["8"],
        decimal=".",
        delimiter=",",
        encoding="utf-8-sig",
    ),
    "uk_bank.csv": CsvMapping(
        date="Date",
        credit="Paid in",
        debit="Paid out",
        default_currency="GBP",
        remittance=["Description"],
        date_format="%d/%m/%Y",
        decimal=".",
        thousands=",",
        delimiter=",",
        encoding="utf-8",
    ),
}


def parse_fixture(name: str, format: str | None = None) -> list[ParsedStatement]:
    return parse_statement_file((FIXTURES / name).read_bytes(), name, format, MAPPINGS.get(name))


def summary(statement: ParsedStatement) -> list[tuple[str, int, str]]:
    return [
        (line.booking_date.isoformat(), line.amount_minor, line.currency)
        for line in statement.lines
    ]
