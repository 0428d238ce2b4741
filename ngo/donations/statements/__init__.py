"""Bank statements read into one neutral structure: CSV (through a mapping saved per bank),
ISO 20022 camt.053 XML and SWIFT MT940. `parse_statement_file` is the one entry point; it
returns every statement in the file or raises `StatementFormatError` (file and line named)
and returns nothing."""

from __future__ import annotations

from ngo.donations.statements.camt053 import looks_like_camt053, parse_camt053
from ngo.donations.statements.csv_format import CsvMapping, MappingError, parse_csv
from ngo.donations.statements.parsed import (
    FORMATS,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
    normalise_iban,
)
from ngo.donations.statements.swift_mt940 import looks_like_mt940, parse_mt940

#: The largest statement file accepted (a year of a busy account's camt.053 is a few MB).
MAX_FILE_BYTES = 20 * 1024 * 1024


def detect_format(data: bytes) -> str | None:
    """camt053 or mt940 when the content says so; CSV cannot be told from its content alone."""
    if looks_like_camt053(data):
        return "camt053"
    head = data[:8192].decode("utf-8", errors="replace")
    head = head.replace("\r", "").replace("\x01", "").replace("\x03", "")
    if looks_like_mt940(head):
        return "mt940"
    return None


def parse_statement_file(
    data: bytes,
    file_name: str,
    format: str | None = None,
    mapping: CsvMapping | None = None,
) -> list[ParsedStatement]:
    if len(data) > MAX_FILE_BYTES:
        raise StatementFormatError(file_name, None, "the file is larger than 20 MB")
    if not data.strip():
        raise StatementFormatError(file_name, None, "the file is empty")
    chosen = format or detect_format(data) or ("csv" if mapping is not None else None)
    if chosen is None:
        raise StatementFormatError(
            file_name,
            None,
            "the format could not be recognised: choose csv (with a mapping), camt053 or mt940",
        )
    if chosen == "camt053":
        return parse_camt053(data, file_name)
    if chosen == "mt940":
        return parse_mt940(data, file_name)
    if chosen == "csv":
        if mapping is None:
            raise StatementFormatError(file_name, None, "a CSV statement needs a column mapping")
        return parse_csv(data, file_name, mapping)
    raise StatementFormatError(file_name, None, f"unknown format {chosen!r}")


__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "CsvMapping",
    "MappingError",
    "ParsedLine",
    "ParsedStatement",
    "StatementFormatError",
    "detect_format",
    "normalise_iban",
    "parse_statement_file",
]
