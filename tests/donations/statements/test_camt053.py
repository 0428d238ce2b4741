"""camt.053: 001.02 as a German savings bank writes it (several Ustrd, a batch booking, a
pending entry), 001.08 with two accounts (EUR and GBP, Sts/Cd, Dbtr/Pty/Nm)."""

from __future__ import annotations

from ngo.donations.references import find_references
from ngo.donations.statements import detect_format, parse_statement_file
from tests.donations.statements.helpers import FIXTURES, parse_fixture, summary


def test_camt053_001_02():
    (statement,) = parse_fixture("camt053_v02_sparkasse.xml")
    assert statement.format == "camt053"
    assert statement.account_iban == "DE89370400440532013000"
    assert statement.statement_id == "2024-03-05-0001"
    assert statement.currency == "EUR"
    # The batch of two transfers is two lines; the pending entry is not on the statement yet.
    assert summary(statement) == [
        ("2024-03-05", 5000, "EUR"),
        ("2024-03-05", 10000, "EUR"),
        ("2024-03-05", 3500, "EUR"),
        ("2024-03-05", -2100, "EUR"),
    ]
    gift = statement.lines[0]
    # Two Ustrd concatenated; the code inside the long text, written with a space.
    assert gift.remittance_text.startswith("Spende fuer die Familie")
    assert gift.remittance_text.endswith("per Post")
    assert find_references(gift.remittance_text) == ["392R-VV4T"]
    assert gift.counterparty_name == "Erika Mustermann"
    assert gift.bank_reference == "2024030512345000001"
    # Strd/CdtrRefInf/Ref.
    assert find_references(statement.lines[1].remittance_text) == ["M8Q3-WQFW"]
    assert statement.lines[1].counterparty_name == "Max Beispiel"
    assert statement.lines[2].counterparty_name == "Lena Beispiel"
    assert statement.lines[3].counterparty_name == "Druckerei Schmidt GmbH"
    assert len({line.identity for line in statement.lines}) == 4


def test_camt053_001_08_two_accounts_two_currencies():
    eur, gbp = parse_fixture("camt053_v08_two_accounts.xml")
    assert eur.account_iban == "NL91ABNA0417164300"
    assert summary(eur) == [("2024-03-05", 125000, "EUR"), ("2024-03-05", -250, "EUR")]
    assert eur.lines[0].counterparty_name == "Stichting Voorbeeld"
    assert find_references(eur.lines[0].remittance_text) == ["Q99F-7VQJ"]
    assert eur.lines[1].remittance_text == "KOSTEN BETALINGSVERKEER"
    assert (gbp.account_iban, gbp.currency) == ("GB29NWBK60161331926819", "GBP")
    assert summary(gbp) == [("2024-03-05", 3000, "GBP")]
    assert gbp.lines[0].counterparty_name == "MR J SMITH"
    assert find_references(gbp.lines[0].remittance_text) == ["HP33-FC8R"]


def test_every_later_namespace_version_is_read():
    data = (FIXTURES / "camt053_v08_two_accounts.xml").read_bytes()
    for version in ("04", "06", "10", "13"):
        changed = data.replace(b"camt.053.001.08", f"camt.053.001.{version}".encode())
        assert detect_format(changed) == "camt053"
        eur, _gbp = parse_statement_file(changed, f"v{version}.xml")
        assert summary(eur)[0] == ("2024-03-05", 125000, "EUR")


def test_a_batch_whose_amounts_do_not_add_up_stays_one_line():
    data = (FIXTURES / "camt053_v02_sparkasse.xml").read_bytes()
    changed = data.replace(b'<Amt Ccy="EUR">35.00</Amt>', b'<Amt Ccy="EUR">36.00</Amt>')
    (statement,) = parse_statement_file(changed, "batch.xml")
    batch = statement.lines[1]
    assert batch.amount_minor == 13500
    assert batch.counterparty_name == "Max Beispiel; Lena Beispiel"
    assert find_references(batch.remittance_text) == ["M8Q3-WQFW"]
