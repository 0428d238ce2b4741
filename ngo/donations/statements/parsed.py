"""The one neutral shape every statement format is read into, and the rules they share.

A parser turns a file into `ParsedStatement`s (a camt.053 or MT940 file may hold several, one
per account or day) or raises `StatementFormatError` naming the file and line: a malformed file
yields nothing at all, so an import never keeps half a file.

Amounts are signed integers of minor units (a credit, money in, is positive), never floats.
A line's `identity` is the same every time the same bank line is read, from this file or from
a later statement that covers the same days, so that importing twice is detectable. It is built
only from what is not personal (account, bank reference, dates, amount, currency and the
position among lines that are otherwise identical), so it can be stored in clear.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from ngo.money import MoneyError, minor_units
from ngo.money.currencies import check_currency

FORMATS = ("csv", "camt053", "mt940")


class StatementFormatError(ValueError):
    """A file that cannot be read as the statement it claims to be. The message names the
    problem in the file's terms (a tag, a column, a value's kind), never the values of a
    donor's line: it is shown to the treasurer and printed by the CLI."""

    def __init__(self, file_name: str, line_number: int | None, message: str) -> None:
        self.file_name = file_name
        self.line_number = line_number
        self.message = message
        where = f"{file_name}, line {line_number}" if line_number else file_name
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class ParsedLine:
    identity: str
    booking_date: date
    value_date: date | None
    amount_minor: int  # signed: credit (money in) positive, debit negative
    currency: str
    remittance_text: str
    counterparty_name: str
    bank_reference: str
    source_line: int | None = None  # where it starts in the file, for messages

    @property
    def is_credit(self) -> bool:
        return self.amount_minor > 0


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    format: str
    account_iban: str | None
    statement_id: str | None
    currency: str | None
    lines: list[ParsedLine] = field(default_factory=list)

    @property
    def credits(self) -> list[ParsedLine]:
        return [line for line in self.lines if line.is_credit]


_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def normalise_iban(text: str | None) -> str | None:
    """``PL61 1090 1014 ...`` -> ``PL611090...``; None unless it has the shape of an IBAN and
    its ISO 13616 check digits are right. A bare 26-digit Polish NRB gets its ``PL``."""
    if not text:
        return None
    compact = re.sub(r"[\s/\-]", "", text).upper()
    if re.fullmatch(r"[0-9]{26}", compact):
        compact = "PL" + compact
    if not _IBAN_SHAPE.fullmatch(compact):
        return None
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return compact if int(digits) % 97 == 1 else None


def decimal_to_minor(value: Decimal, currency: str, file_name: str, line_number: int | None) -> int:
    """An exact decimal amount as minor units of `currency`; refuses more decimal places than
    the currency has (other than trailing zeros) instead of rounding."""
    try:
        exponent = minor_units(check_currency(currency))
    except MoneyError:
        raise StatementFormatError(
            file_name, line_number, f"{currency!r} is not an ISO 4217 currency code"
        ) from None
    try:
        scaled = value.scaleb(exponent)
        if not value.is_finite() or scaled != scaled.to_integral_value():
            raise StatementFormatError(
                file_name,
                line_number,
                f"the amount has more decimal places than {currency} has ({exponent})",
            )
    except InvalidOperation:
        raise StatementFormatError(file_name, line_number, "the amount is not a number") from None
    return int(scaled)


@dataclass(frozen=True, slots=True)
class RawLine:
    """A line as a parser read it, before its identity is known."""

    booking_date: date
    value_date: date | None
    amount_minor: int
    currency: str
    remittance_text: str
    counterparty_name: str
    bank_reference: str
    source_line: int | None


def with_identities(account_iban: str | None, raw_lines: list[RawLine]) -> list[ParsedLine]:
    """Give each line its identity: a digest of what identifies the bank's booking, plus how
    many identical bookings came before it in this statement (two 50.00 PLN transfers on one
    day without a bank reference are two lines, and stay two lines on every re-import)."""
    seen: Counter[tuple[str, ...]] = Counter()
    parsed = []
    for raw in raw_lines:
        key = (
            account_iban or "",
            raw.bank_reference.strip(),
            raw.booking_date.isoformat(),
            raw.value_date.isoformat() if raw.value_date else "",
            raw.currency,
            str(raw.amount_minor),
        )
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join((*key, str(seen[key]))).encode()).hexdigest()
        parsed.append(
            ParsedLine(
                identity=digest,
                booking_date=raw.booking_date,
                value_date=raw.value_date,
                amount_minor=raw.amount_minor,
                currency=raw.currency,
                remittance_text=raw.remittance_text,
                counterparty_name=raw.counterparty_name,
                bank_reference=raw.bank_reference,
                source_line=raw.source_line,
            )
        )
    return parsed


def decode_text(data: bytes, file_name: str, encodings: tuple[str, ...]) -> str:
    """The file's text in the first of `encodings` that decodes it entirely (a byte-order mark
    is dropped). Polish banks export in UTF-8 or Windows-1250."""
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff")
    raise StatementFormatError(file_name, None, f"the file is not text in {' or '.join(encodings)}")


def tidy(text: str) -> str:
    """Collapse runs of whitespace (banks pad fields to fixed widths)."""
    return " ".join(text.split())


__all__ = [
    "FORMATS",
    "ParsedLine",
    "ParsedStatement",
    "RawLine",
    "StatementFormatError",
    "decimal_to_minor",
    "decode_text",
    "normalise_iban",
    "tidy",
    "with_identities",
]
