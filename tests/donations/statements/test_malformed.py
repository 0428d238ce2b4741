"""A malformed file names the file and the line, and yields nothing."""

from __future__ import annotations

import pytest

from ngo.donations.statements import CsvMapping, StatementFormatError, parse_statement_file
from tests.donations.statements.helpers import FIXTURES, MAPPINGS


def refused(data: bytes, name: str, format: str | None = None, mapping=None):
    with pytest.raises(StatementFormatError) as caught:
        parse_statement_file(data, name, format, mapping)
    error = caught.value
    assert str(error).startswith(name)
    return error


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# camt.053


def test_truncated_xml():
    data = fixture("camt053_v02_sparkasse.xml")
    error = refused(data[: len(data) // 2], "cut.xml", "camt053")
    assert error.line_number and error.line_number > 100
    assert "not well-formed XML" in error.message


def test_wrong_root_tag():
    data = fixture("camt053_v02_sparkasse.xml").replace(b"camt.053.001.02", b"pain.001.001.03")
    error = refused(data, "pain.xml", "camt053")
    assert error.line_number == 2 and "not a camt.053 document" in error.message


def test_wrong_tags_inside_an_entry():
    data = fixture("camt053_v02_sparkasse.xml").replace(
        b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>",
        b"<CdtDbtInd>MINUS</CdtDbtInd>\n        <Sts>",
    )
    error = refused(data, "sign.xml")
    assert "CdtDbtInd" in error.message and error.line_number == 205


@pytest.mark.parametrize("amount", [b"-50.00", b"50,00", b"5O.00", b"50.001", b""])
def test_bad_camt_amounts(amount):
    data = fixture("camt053_v02_sparkasse.xml").replace(
        b'<Amt Ccy="EUR">50.00</Amt>\n        <CdtDbtInd>',
        b'<Amt Ccy="EUR">' + amount + b"</Amt>\n        <CdtDbtInd>",
    )
    error = refused(data, "amount.xml")
    assert error.line_number == 65


def test_an_unknown_currency():
    data = fixture("camt053_v02_sparkasse.xml").replace(b'Ccy="EUR">50.00', b'Ccy="EUX">50.00')
    assert "ISO 4217" in refused(data, "ccy.xml").message


def test_an_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        fixture("camt053_v02_sparkasse.xml")
        .replace(
            b'<?xml version="1.0" encoding="UTF-8"?>',
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file://' + str(secret).encode() + b'">]>',
        )
        .replace(b"<Ustrd>monatliche Spende</Ustrd>", b"<Ustrd>&x;</Ustrd>")
    )
    error = refused(data, "xxe.xml", "camt053")
    assert "TOP-SECRET" not in str(error)


def test_an_entity_bomb_is_refused():
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>'
    )
    refused(bomb, "bomb.xml", "camt053")


# MT940


def test_missing_20():
    data = fixture("pko_bp.mt940").replace(b":20:ST240305CYC/1\r\n", b"")
    error = refused(data, "no20.mt940", "mt940")
    assert error.line_number == 1 and ":20:" in error.message


def test_missing_25():
    data = fixture("mbank.mt940").replace(b":25:PL81114020040000320212345678\r\n", b"")
    error = refused(data, "no25.mt940", "mt940")
    # The second account's block, which starts at line 16, has no account.
    assert error.line_number == 16 and ":25:" in error.message


def test_missing_opening_balance():
    data = fixture("pko_bp.mt940").replace(b":60F:C240304PLN12500,00\r\n", b"")
    assert ":60F:" in refused(data, "no60.mt940", "mt940").message


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (b"C200,00NTRF", b"C200.00NTRF"),  # a decimal point, not a comma
        (b"C200,00NTRF", b"C2,00,0NTRF"),
        (b"C200,00NTRF", b"C200,001NTRF"),
        (b":61:2403050305C200", b":61:2402310305C200"),  # 31 February
        (b":61:2403050305C200", b":61:24030503X5C200"),
    ],
)
def test_bad_statement_lines(good, bad):
    data = fixture("pko_bp.mt940").replace(good, bad, 1)
    error = refused(data, "bad61.mt940", "mt940")
    assert error.line_number == 18


def test_a_file_that_is_not_mt940():
    error = refused(b"hello\r\nworld\r\n", "hello.mt940", "mt940")
    assert error.line_number == 1


# CSV


def test_csv_with_the_wrong_columns():
    error = refused(fixture("uk_bank.csv"), "uk.csv", "csv", MAPPINGS["mbank_operacje.csv"])
    assert "Data księgowania" in error.message and "mapping" in error.message


def test_csv_in_another_encoding_than_the_mapping_says():
    mapping = MAPPINGS["mbank_operacje.csv"]
    utf8 = CsvMapping(**{**mapping.to_json(), "encoding": "utf-8"})
    assert (
        "not text in utf-8" in refused(fixture("mbank_operacje.csv"), "m.csv", "csv", utf8).message
    )


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("2024-03-05;abc", "not an amount"),
        ("2024-03-05;12,345", "decimal places"),
        ("2024-03-05;1 23,00", "not an amount"),
        ("2024-03-05;", "empty"),
        ("05.03.2024;10,00", "not a date"),
        ("2024-03-05", "columns"),
        ("2024-03-05;10,00 EUR", "marked EUR"),
    ],
)
def test_csv_bad_rows_name_the_line(row, words):
    mapping = CsvMapping(date="Data", amount="Kwota", currency="Waluta", thousands=" ")
    data = f"Data;Kwota;Waluta\n2024-03-04;5,00;PLN\n{row};PLN\n".encode()
    if row == "2024-03-05":
        data = b"Data;Kwota;Waluta\n2024-03-04;5,00;PLN\n2024-03-05\n"
    error = refused(data, "rows.csv", "csv", mapping)
    assert error.line_number == 3
    assert words in error.message


def test_csv_without_a_mapping_or_an_unknown_format():
    assert "mapping" in refused(fixture("uk_bank.csv"), "uk.csv", "csv").message
    assert "recognised" in refused(fixture("uk_bank.csv"), "uk.csv").message


def test_an_empty_file():
    assert "empty" in refused(b"  \n", "empty.xml").message


def test_a_tag_the_library_cannot_read_is_named_by_line():
    data = fixture("pko_bp.mt940").replace(b":28C:45/1", b":28C:XLV")
    error = refused(data, "28c.mt940", "mt940")
    assert error.line_number == 3


def test_a_camt_document_without_a_statement():
    data = fixture("camt053_v02_sparkasse.xml").replace(b"BkToCstmrStmt", b"BkToCstmrRpt")
    assert "BkToCstmrStmt" in refused(data, "rpt.xml").message
