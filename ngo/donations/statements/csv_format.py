"""CSV statements, read through a column mapping saved per bank.

Every bank writes its own CSV: mBank puts account details above the table and "#" before the
column names, PKO BP quotes every cell, amounts come as ``-1 234,56`` or ``1.234,56 PLN`` or
in two columns (credits, debits), in UTF-8 or Windows-1250. A `CsvMapping` says, by column
*name* (as in the header row, case and a leading "#" ignored), where each value is and how
numbers and dates are written. The header row is the first row that has every mapped column,
so lines above it are skipped; the table ends at the first empty row (banks put totals below).
A column whose header is empty (PKO BP leaves the last four blank) is named by its position,
counting from 1 ("8").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ngo.donations.statements.parsed import (
    ParsedStatement,
    RawLine,
    StatementFormatError,
    decimal_to_minor,
    decode_text,
    normalise_iban,
    tidy,
    with_identities,
)

ENCODINGS = ("utf-8", "utf-8-sig", "cp1250")
DELIMITERS = (";", ",", "\t", "|")
DECIMAL_SEPARATORS = (",", ".")
THOUSANDS_SEPARATORS = ("", " ", ".", ",", "'")
_SPACES = " \u00a0\u202f"
_HEADER_SEARCH_ROWS = 60
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


class MappingError(ValueError):
    """A mapping that cannot describe any file (a missing column, an unknown encoding)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CsvMapping:
    """Where a bank's CSV keeps each value. Column names as in its header row."""

    date: str
    amount: str = ""  # one signed column, or credit/debit below
    credit: str = ""
    debit: str = ""
    currency: str = ""  # a column; or default_currency for the whole file
    default_currency: str = ""
    remittance: list[str] = field(default_factory=list)
    counterparty: list[str] = field(default_factory=list)
    reference: str = ""
    value_date: str = ""
    account_iban: str = ""  # the account this bank's file is about, if the file does not say
    date_format: str = "%Y-%m-%d"
    decimal: str = ","
    thousands: str = ""
    encoding: str = "utf-8-sig"
    delimiter: str = ";"

    def __post_init__(self) -> None:
        if not self.date.strip():
            raise MappingError("name the column that holds the booking date", "date")
        if not self.amount.strip() and not (self.credit.strip() or self.debit.strip()):
            raise MappingError("name the amount column, or the credit and debit columns", "amount")
        if self.amount.strip() and (self.credit.strip() or self.debit.strip()):
            raise MappingError("use either one amount column or credit/debit columns", "amount")
        if not self.currency.strip() and not self.default_currency.strip():
            raise MappingError("name the currency column or give the file's currency", "currency")
        if self.encoding not in ENCODINGS:
            raise MappingError(f"the encoding must be one of {', '.join(ENCODINGS)}", "encoding")
        if self.delimiter not in DELIMITERS:
            raise MappingError("the delimiter must be ; , tab or |", "delimiter")
        if self.decimal not in DECIMAL_SEPARATORS:
            raise MappingError("the decimal separator must be , or .", "decimal")
        if self.thousands not in THOUSANDS_SEPARATORS or self.thousands == self.decimal:
            raise MappingError(
                "the thousands separator must differ from the decimal one", "thousands"
            )
        if any(c.strip().isdigit() and int(c) < 1 for c in self.required_columns()):
            raise MappingError("columns are counted from 1", "date")
        try:
            datetime(2024, 12, 31).strftime(self.date_format)
            if "%" not in self.date_format:
                raise ValueError
        except ValueError:
            raise MappingError("the date format is not a strftime format", "date_format") from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CsvMapping:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("remittance", "counterparty"):
            if isinstance(values.get(key), str):
                values[key] = [values[key]]
        return cls(**values)

    def required_columns(self) -> list[str]:
        columns = [self.date, self.amount, self.credit, self.debit, self.currency]
        columns += [*self.remittance, *self.counterparty, self.reference, self.value_date]
        return [c for c in columns if c.strip()]


def _header_key(name: str) -> str:
    return name.strip().lstrip("#").strip().casefold()


def parse_csv(data: bytes, file_name: str, mapping: CsvMapping) -> list[ParsedStatement]:
    text = decode_text(data, file_name, (mapping.encoding,))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)
    wanted = {_header_key(c) for c in mapping.required_columns() if not c.strip().isdigit()}
    index: dict[str, int] | None = None
    raw_lines: list[RawLine] = []
    header_width = 0
    line_number = 1
    try:
        for row in reader:
            start, line_number = line_number, reader.line_num + 1
            if index is None:
                keys = {_header_key(cell): i for i, cell in reversed(list(enumerate(row)))}
                if wanted <= keys.keys():
                    index, header_width = keys, len(row)
                elif start > _HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(cell.strip() for cell in row):
                if raw_lines:
                    break
                continue
            raw_lines.append(_row(row, index, header_width, mapping, file_name, start))
    except csv.Error as exc:
        raise StatementFormatError(file_name, reader.line_num, f"not valid CSV ({exc})") from None
    if index is None:
        columns = ", ".join(f'"{c}"' for c in mapping.required_columns())
        raise StatementFormatError(
            file_name,
            None,
            f"no header row has the mapped columns {columns}: does the mapping fit"
            " this bank's file?",
        )
    iban = normalise_iban(mapping.account_iban) if mapping.account_iban else None
    currencies = {line.currency for line in raw_lines}
    currency = mapping.default_currency or (currencies.pop() if len(currencies) == 1 else None)
    return [
        ParsedStatement(
            format="csv",
            account_iban=iban,
            statement_id=None,
            currency=currency or None,
            lines=with_identities(iban, raw_lines),
        )
    ]


def _row(
    row: list[str],
    index: dict[str, int],
    width: int,
    mapping: CsvMapping,
    file_name: str,
    line: int,
) -> RawLine:
    def position(name: str) -> int:
        key = _header_key(name)
        return index[key] if key in index else int(key) - 1

    needed = max(position(c) for c in mapping.required_columns())
    if len(row) <= needed:
        raise StatementFormatError(
            file_name, line, f"the row has {len(row)} columns, the header has {width}"
        )

    def cell(name: str) -> str:
        return row[position(name)].strip() if name.strip() else ""

    def day(name: str, what: str) -> date:
        value = cell(name)
        try:
            return datetime.strptime(value, mapping.date_format).date()
        except ValueError:
            raise StatementFormatError(
                file_name, line, f"the {what} is not a date in the format {mapping.date_format}"
            ) from None

    currency = cell(mapping.currency).upper() if mapping.currency else ""
    currency = currency or mapping.default_currency.upper()
    if mapping.amount:
        amount, marked = _amount(cell(mapping.amount), mapping, file_name, line, "amount")
    else:
        credit, marked_c = _amount(cell(mapping.credit), mapping, file_name, line, "credit", True)
        debit, marked_d = _amount(cell(mapping.debit), mapping, file_name, line, "debit", True)
        if credit and debit:
            raise StatementFormatError(file_name, line, "the row has both a credit and a debit")
        amount, marked = (credit, marked_c) if credit else (-abs(debit), marked_d)
    if marked and currency and marked != currency:
        raise StatementFormatError(
            file_name, line, f"the amount is marked {marked} but the currency is {currency}"
        )
    currency = currency or marked
    if not _CURRENCY_CODE.fullmatch(currency):
        raise StatementFormatError(file_name, line, "the row has no ISO 4217 currency")
    return RawLine(
        booking_date=day(mapping.date, "booking date"),
        value_date=day(mapping.value_date, "value date") if mapping.value_date else None,
        amount_minor=decimal_to_minor(amount, currency, file_name, line),
        currency=currency,
        remittance_text=tidy(" ".join(cell(c) for c in mapping.remittance)),
        counterparty_name=tidy(" ".join(cell(c) for c in mapping.counterparty)),
        bank_reference=cell(mapping.reference),
        source_line=line,
    )


def _amount(
    text: str, mapping: CsvMapping, file_name: str, line: int, what: str, optional: bool = False
) -> tuple[Decimal, str]:
    """A signed exact amount as the bank wrote it (``-1 234,56``, ``1.234,56 PLN``), and the
    currency code written next to it, if any."""
    value = text.strip(_SPACES)
    marked = ""
    code = re.fullmatch(
        rf"([A-Z]{{3}})[{_SPACES}]*(.*[0-9].*)|(.*[0-9].*?)[{_SPACES}]*([A-Z]{{3}})", value
    )
    if code:
        marked = (code[1] or code[4]).upper()
        value = code[2] if code[1] else code[3]
    if not value:
        if optional:
            return Decimal(0), marked
        raise StatementFormatError(file_name, line, f"the {what} is empty")
    sign = 1
    if value[0] in "-\u2212+":
        sign = -1 if value[0] != "+" else 1
        value = value[1:].lstrip(_SPACES)
    d = re.escape(mapping.decimal)
    t = f"[{_SPACES}]" if mapping.thousands == " " else re.escape(mapping.thousands)
    whole = rf"[0-9]+|[0-9]{{1,3}}(?:{t}[0-9]{{3}})+" if mapping.thousands else "[0-9]+"
    pattern = rf"(?P<whole>{whole})(?:{d}(?P<fraction>[0-9]+))?"
    match = re.fullmatch(pattern, value)
    if not match:
        raise StatementFormatError(
            file_name,
            line,
            f"the {what} is not an amount written with {mapping.decimal!r} as decimal separator",
        )
    digits = re.sub(r"[^0-9]", "", match["whole"])
    number = Decimal(f"{digits}.{match['fraction'] or '0'}")
    return sign * number, marked
