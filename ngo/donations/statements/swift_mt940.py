"""SWIFT MT940, as Polish banks (PKO BP, mBank, ING Bank Śląski, Pekao) and others export it.

The tags are read by the `mt-940` library (import `mt940`). Around it, this module does what
the library leaves to its caller:

* decoding (UTF-8 or Windows-1250) and the envelope some exports keep: SWIFT blocks
  ``{1:...}{2:...}{4:`` / ``-}`` and mBank's SOH/ETX bytes around each account's block;
* checking the structure first, so that a malformed file is named by line: every statement
  block starts with ``:20:``, has a ``:25:`` account and a ``:60F:``/``:60M:`` opening balance
  (its currency is the statement's), and each ``:61:`` has a real date and an amount with a
  decimal comma;
* the ``:86:`` details: Polish banks structure them with sub-fields after the three-digit
  transaction code, ``~00``..``~63`` (PKO BP, ING Bank Śląski) or ``<00``..``<63`` (mBank,
  Pekao), over several 65-character lines that break anywhere, even inside a sub-field;
  German-style ``?20`` sub-fields are read the same way. ``20``-``26`` hold the transfer's
  title, ``32``-``33`` the counterparty's name (``27``-``29`` where a bank puts it there),
  ``38`` its IBAN. Unstructured ``:86:`` text is kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import mt940

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

_TAG = re.compile(r":(?P<tag>[0-9]{2}[A-Z]?|NS):")
_ENVELOPE = re.compile(r"^\s*(\{[0-9]:[^}]*\})*\s*(\{4:)?\s*$|^\s*-\}\s*$")
_STATEMENT_LINE = re.compile(
    r"(?P<date>[0-9]{6})(?P<entry>[0-9]{4})?(?P<mark>R?[DC])[A-Z]?\s?(?P<amount>[0-9][0-9,.]*)"
)
_AMOUNT = re.compile(r"[0-9]{1,15},[0-9]{0,3}")
_BALANCE = re.compile(r"[DC][0-9]{6}(?P<currency>[A-Z]{3})[0-9]{1,15},[0-9]{0,3}")
_SUBFIELDS = re.compile(r"^(?P<code>[0-9]{3})?\s*(?P<sep>[~<?^])[0-9]{2}")
_IBAN_IN_TEXT = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}|[0-9]{26}")
_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}


def looks_like_mt940(text: str) -> bool:
    return bool(re.search(r"(?m)^:20:", text)) and bool(re.search(r"(?m)^:61:|^:60[FM]:", text))


@dataclass
class _Tag:
    tag: str
    line: int
    value: str  # the first line's value, for locating the library's complaints


def _clean(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x01", "").replace("\x03", "")
    return ["" if _ENVELOPE.match(line) else line.rstrip() for line in text.split("\n")]


def _scan(lines: list[str], file_name: str) -> list[list[_Tag]]:
    """The tags of each statement block, checked for the structure the importer needs."""
    blocks: list[list[_Tag]] = []
    for number, line in enumerate(lines, start=1):
        match = _TAG.match(line)
        if not match:
            if line.strip() and not blocks:
                raise StatementFormatError(file_name, number, "text before the first :20: tag")
            continue
        tag = _Tag(match["tag"], number, line[match.end() :].strip())
        if tag.tag == "20":
            blocks.append([tag])
        elif not blocks:
            raise StatementFormatError(
                file_name, number, f"the :{tag.tag}: tag comes before any :20: (missing :20:)"
            )
        else:
            blocks[-1].append(tag)
    if not blocks:
        raise StatementFormatError(file_name, 1, "no :20: tag: not an MT940 statement")
    for block in blocks:
        _check_block(block, file_name)
    return blocks


def _check_block(block: list[_Tag], file_name: str) -> None:
    start = block[0].line
    names = [t.tag for t in block]
    if "25" not in names:
        raise StatementFormatError(file_name, start, "the statement has no :25: account")
    openings = [t for t in block if t.tag in ("60F", "60M")]
    if not openings:
        raise StatementFormatError(file_name, start, "the statement has no :60F: balance")
    for tag in block:
        if tag.tag in ("60F", "60M", "62F", "62M") and not _BALANCE.fullmatch(tag.value):
            raise StatementFormatError(file_name, tag.line, f"the :{tag.tag}: balance is malformed")
        if tag.tag == "61":
            _check_statement_line(tag, file_name)


def _check_statement_line(tag: _Tag, file_name: str) -> None:
    match = _STATEMENT_LINE.match(tag.value)
    if not match:
        raise StatementFormatError(file_name, tag.line, "the :61: line is malformed")
    try:
        datetime.strptime(match["date"], "%y%m%d")
    except ValueError:
        raise StatementFormatError(
            file_name, tag.line, "the :61: line's value date is not a real date"
        ) from None
    if not _AMOUNT.fullmatch(match["amount"]):
        raise StatementFormatError(
            file_name, tag.line, "the :61: amount must be digits with one decimal comma"
        )


def parse_mt940(data: bytes, file_name: str) -> list[ParsedStatement]:
    lines = _clean(decode_text(data, file_name, ("utf-8", "cp1250")))
    blocks = _scan(lines, file_name)
    statements = []
    for index, block in enumerate(blocks):
        first = block[0].line
        last = blocks[index + 1][0].line - 1 if index + 1 < len(blocks) else len(lines)
        text = "\n".join(lines[first - 1 : last])
        statements.append(_statement(text, block, file_name))
    return statements


def _library_parse(text: str, block: list[_Tag], file_name: str) -> Any:
    transactions = mt940.models.Transactions(
        # Keep :86: raw: the Polish sub-fields are read below, not by the German processor.
        processors={"post_transaction_details": []},
        options=mt940.Options.all(),
    )
    try:
        transactions.parse(text)
    except RuntimeError as exc:
        value = exc.args[2] if len(exc.args) > 2 and isinstance(exc.args[2], str) else ""
        first = value.split("\n", 1)[0].strip()
        line = next((t.line for t in block if first and t.value.startswith(first)), block[0].line)
        raise StatementFormatError(file_name, line, "a tag could not be read") from None
    except (ArithmeticError, ValueError, KeyError, TypeError):
        raise StatementFormatError(
            file_name, block[0].line, "the statement could not be read"
        ) from None
    return transactions


def _statement(text: str, block: list[_Tag], file_name: str) -> ParsedStatement:
    transactions = _library_parse(text, block, file_name)
    account = str(transactions.data.get("account_identification") or "")
    iban = _iban(account)
    opening = next(t for t in block if t.tag in ("60F", "60M"))
    match = _BALANCE.fullmatch(opening.value)
    currency = match["currency"] if match else ""
    statement_lines = [t for t in block if t.tag == "61"]
    if len(statement_lines) != len(transactions):
        raise StatementFormatError(file_name, block[0].line, "the :61: lines could not be read")
    raw_lines = []
    for tag, transaction in zip(statement_lines, transactions, strict=True):
        raw_lines.append(_line(transaction.data, currency, tag.line, file_name))
    number = str(transactions.data.get("statement_number") or "")
    reference = str(transactions.data.get("transaction_reference") or "")
    return ParsedStatement(
        format="mt940",
        account_iban=iban,
        statement_id="/".join(p for p in (reference, number) if p) or None,
        currency=currency or None,
        lines=with_identities(iban, raw_lines),
    )


def _iban(account: str) -> str | None:
    for candidate in _IBAN_IN_TEXT.findall(re.sub(r"\s", "", account.upper())):
        iban = normalise_iban(candidate)
        if iban:
            return iban
    return None


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return None


def _line(data: dict[str, Any], currency: str, line: int, file_name: str) -> RawLine:
    amount = data.get("amount")
    decimal_amount = getattr(amount, "amount", None)
    if not isinstance(decimal_amount, Decimal):
        raise StatementFormatError(file_name, line, "the :61: amount could not be read")
    value_date = _as_date(data.get("date"))
    if value_date is None:
        raise StatementFormatError(file_name, line, "the :61: value date could not be read")
    booking_date = _as_date(data.get("entry_date")) or value_date
    title, name = read_details(str(data.get("transaction_details") or ""))
    references = [
        str(data.get(key) or "").strip() for key in ("bank_reference", "customer_reference")
    ]
    return RawLine(
        booking_date=booking_date,
        value_date=value_date,
        amount_minor=decimal_to_minor(decimal_amount, currency, file_name, line),
        currency=currency,
        remittance_text=title,
        counterparty_name=name,
        bank_reference=next((r for r in references if r.upper() not in _NO_REFERENCE), ""),
        source_line=line,
    )


def read_details(details: str) -> tuple[str, str]:
    """The title and the counterparty's name from an ``:86:`` value (its lines as given)."""
    joined = "".join(details.split("\n"))
    structured = _SUBFIELDS.match(joined)
    if not structured:
        return tidy(" ".join(details.split("\n"))), ""
    separator = re.escape(structured["sep"])
    fields: dict[str, list[str]] = {}
    parts = re.split(rf"{separator}([0-9]{{2}})", joined[structured.start("sep") :])
    for key, value in zip(parts[1::2], parts[2::2], strict=True):
        fields.setdefault(key, []).append(value)

    def join(keys: range, between: str = "") -> str:
        return tidy(between.join("".join(fields.get(f"{k:02d}", [])) for k in keys))

    # 20-26 and 32-33 are one text cut at a fixed width (even inside a word); 27-29 are the
    # lines of a name and address.
    title = join(range(20, 27))
    name = join(range(32, 34)) or join(range(27, 30), " ")
    return title, name
