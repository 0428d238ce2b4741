"""MT940 as Polish banks export it: PKO BP (~ sub-fields, Windows-1250), mBank (< sub-fields,
SOH/ETX around each account's block, two accounts), ING Bank Śląski (SWIFT envelope, EUR)."""

from __future__ import annotations

from datetime import date

from ngo.donations.references import find_references
from ngo.donations.statements import detect_format
from tests.donations.statements.helpers import FIXTURES, parse_fixture, summary


def test_pko_bp_multi_line_86_with_tilde_subfields():
    (statement,) = parse_fixture("pko_bp.mt940")
    assert statement.format == "mt940"
    assert statement.account_iban == "PL98102010550000010203040506"
    assert statement.statement_id == "ST240305CYC/1/45"
    assert statement.currency == "PLN"
    assert summary(statement) == [
        ("2024-03-05", 15000, "PLN"),
        ("2024-03-05", 20000, "PLN"),
        ("2024-03-05", -120000, "PLN"),
        ("2024-03-05", -350, "PLN"),
        ("2024-03-05", 2500, "PLN"),
    ]
    first = statement.lines[0]
    # ~20..~23 are one title cut at a fixed width, even inside the code ("9357-T4" / "VW").
    assert first.remittance_text == (
        "Darowizna na pomoc dla rodziny, ref 9357-T4VW bardzo dziękujemy za waszą pracę"
    )
    assert first.counterparty_name == "JAN KOWALSKI UL. ŁĄKOWA 12 00-950 WARSZAWA"
    assert first.bank_reference == "FT24065ABCD1234"
    assert first.source_line == 5
    assert find_references(first.remittance_text) == ["9357-T4VW"]
    assert find_references(statement.lines[1].remittance_text) == ["Q99F-7VQJ"]
    # A debit that carries a code (rent paid out) is a debit: never a donation.
    assert [line.is_credit for line in statement.lines] == [True, True, False, False, True]


def test_mbank_angle_bracket_subfields_and_two_accounts_in_one_file():
    pln, eur = parse_fixture("mbank.mt940")
    assert (pln.account_iban, pln.currency) == ("PL89114020040000350212345678", "PLN")
    assert (eur.account_iban, eur.currency) == ("PL81114020040000320212345678", "EUR")
    assert summary(pln) == [
        ("2024-03-05", 15000, "PLN"),
        ("2024-03-05", -4999, "PLN"),
        ("2024-03-05", 123456, "PLN"),
    ]
    assert pln.lines[0].remittance_text == (
        "Wpłata darowizny dla fundacji tytułem VTTH-FJCH dziękuję"
    )
    assert pln.lines[0].counterparty_name == "ANNA NOWAK UL. POLNA 5 00-001 WARSZAWA"
    assert find_references(pln.lines[2].remittance_text) == ["896R-CPDP"]
    assert summary(eur) == [("2024-03-05", 4000, "EUR")]
    assert find_references(eur.lines[0].remittance_text) == ["392R-VV4T"]


def test_ing_bank_slaski_with_the_swift_envelope():
    (statement,) = parse_fixture("ing_bank_slaski.mt940")
    assert statement.account_iban == "PL98105010000000100090901234"
    assert statement.currency == "EUR"
    assert summary(statement) == [
        ("2024-03-05", 7550, "EUR"),
        ("2024-03-05", -1200, "EUR"),
        ("2024-03-06", 2000, "EUR"),
    ]
    assert statement.lines[0].counterparty_name == "Maria Schmidt"
    assert find_references(statement.lines[0].remittance_text) == ["M8Q3-WQFW"]
    # The code wrapped across ~20/~21 and typed with a space.
    assert find_references(statement.lines[2].remittance_text) == ["8HNC-R8DH"]
    assert statement.lines[2].booking_date == date(2024, 3, 6)


def test_the_format_is_detected_from_the_content():
    for name in ("pko_bp.mt940", "mbank.mt940", "ing_bank_slaski.mt940"):
        assert detect_format((FIXTURES / name).read_bytes()) == "mt940"


def test_identities_are_stable_across_re_imports_and_re_exports():
    data = (FIXTURES / "pko_bp.mt940").read_bytes()
    (first,) = parse_fixture("pko_bp.mt940")
    # The same day exported again under another statement number: the same bank lines.
    again = data.replace(b":20:ST240305CYC/1", b":20:ST240331CYC/9").replace(
        b":28C:45/1", b":28C:46/1"
    )
    from ngo.donations.statements import parse_statement_file

    (second,) = parse_statement_file(again, "again.mt940")
    assert [line.identity for line in first.lines] == [line.identity for line in second.lines]
    assert len({line.identity for line in first.lines}) == len(first.lines)


def test_two_identical_transfers_on_one_day_are_two_lines():
    from ngo.donations.statements import parse_statement_file

    line = b":61:2403050305C50,00NTRFNONREF\r\n:86:020~00PRZELEW~20darowizna\r\n"
    data = (
        b":20:X\r\n:25:/PL98102010550000010203040506\r\n:28C:1/1\r\n:60F:C240304PLN0,00\r\n"
        + line
        + line
        + b":62F:C240305PLN100,00\r\n"
    )
    (statement,) = parse_statement_file(data, "twins.mt940")
    first, second = statement.lines
    assert first.identity != second.identity
    (again,) = parse_statement_file(data, "twins.mt940")
    assert [line.identity for line in again.lines] == [first.identity, second.identity]
