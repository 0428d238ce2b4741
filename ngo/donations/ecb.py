"""The European Central Bank's euro foreign exchange reference rates: reading its XML, storing
its rates once, and fetching the daily file.

The file (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml, and the 90-day
history eurofxref-hist-90d.xml of the same shape) is a gesmes envelope:

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <Cube><Cube time="2024-05-17"><Cube currency="USD" rate="1.0866"/>...</Cube></Cube>
    </gesmes:Envelope>

Each rate is how many units of the currency one euro buys. The whole file is read and checked
before anything is stored: a malformed file stores nothing.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ngo.donations.models import ExchangeRate, RateSource
from ngo.extensions import db
from ngo.money import MoneyError
from ngo.money.currencies import check_currency
from ngo.rules import RuleError

GESMES = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
# The 90-day history is about 200 kB; the full history since 1999 is several MB and is not
# what this reads (its many currencies per day are fine, its size is not needed).
MAX_BYTES = 2 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 30
# ECB rates have at most 6 significant digits; a rate is refused beyond this many.
MAX_RATE_DIGITS = 18


class EcbFormatError(RuleError):
    """The file is not the ECB's reference rates XML; `where` says where it went wrong."""

    def __init__(self, message: object, where: str = "") -> None:
        super().__init__(message)
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else str(self.message)


class EcbFetchError(Exception):
    """The file could not be fetched. `reason`: network, http_status or too_large."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, order=True)
class ReferenceRate:
    rate_date: date
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class ImportResult:
    days: int
    stored: int
    already_stored: int
    skipped_currencies: tuple[str, ...]
    latest: date | None


def _refuse_declarations(data: bytes) -> None:
    # A DOCTYPE is how entity expansion attacks begin; the ECB's file has none.
    head = data[:4096].lower()
    if b"<!doctype" in data.lower() or b"<!entity" in head:
        raise EcbFormatError(_l("The file declares a document type, which the ECB's never does."))


def _attribute(element: ET.Element, name: str, where: str) -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise EcbFormatError(_l("A Cube element has no %(name)s.", name=name), where)
    return value.strip()


def _rate(text: str, where: str) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation as exc:
        raise EcbFormatError(_l("A rate is not a decimal number."), where) from exc
    if not rate.is_finite() or rate <= 0:
        raise EcbFormatError(_l("A rate is not a positive number."), where)
    if len(rate.as_tuple().digits) > MAX_RATE_DIGITS:
        raise EcbFormatError(_l("A rate has too many digits."), where)
    return rate


def parse_reference_rates(data: bytes) -> tuple[list[ReferenceRate], tuple[str, ...]]:
    """Every rate of the file, checked; and the currency codes skipped because ngo.money does
    not know them. EcbFormatError for anything that is not the ECB's format."""
    if len(data) > MAX_BYTES:
        raise EcbFormatError(_l("The file is larger than the ECB's rates file can be."))
    if not data.strip():
        raise EcbFormatError(_l("The file is empty."))
    _refuse_declarations(data)
    try:
        root = ET.fromstring(data)  # noqa: S314  (declarations refused above)
    except ET.ParseError as exc:
        line, column = exc.position
        raise EcbFormatError(
            _l("The file is not well-formed XML."), f"line {line}, column {column}"
        ) from exc
    if root.tag != f"{{{GESMES}}}Envelope":
        raise EcbFormatError(_l("The file is not the ECB's euro reference rates."))
    outer = root.find(f"{{{EUROFXREF}}}Cube")
    if outer is None:
        raise EcbFormatError(_l("The file holds no rates."))
    rates: list[ReferenceRate] = []
    skipped: set[str] = set()
    seen_days: set[date] = set()
    for day in outer.findall(f"{{{EUROFXREF}}}Cube"):
        time = _attribute(day, "time", "Cube")
        try:
            rate_date = date.fromisoformat(time)
        except ValueError as exc:
            raise EcbFormatError(_l("A day's date is not a date."), f"Cube time={time!r}") from exc
        if rate_date in seen_days:
            raise EcbFormatError(_l("A day appears twice."), f"Cube time={time}")
        seen_days.add(rate_date)
        seen: set[str] = set()
        for entry in day.findall(f"{{{EUROFXREF}}}Cube"):
            code = _attribute(entry, "currency", f"Cube time={time}")
            where = f"Cube time={time} currency={code!r}"
            if len(code) != 3 or not code.isascii() or not code.isupper():
                raise EcbFormatError(_l("A currency is not a three-letter code."), where)
            if code in seen:
                raise EcbFormatError(_l("A currency appears twice on one day."), where)
            seen.add(code)
            rate = _rate(_attribute(entry, "rate", where), where)
            try:
                check_currency(code)
            except MoneyError:
                skipped.add(code)
                continue
            rates.append(ReferenceRate(rate_date, code, rate))
        if not seen:
            raise EcbFormatError(_l("A day holds no rates."), f"Cube time={time}")
    if not rates:
        raise EcbFormatError(_l("The file holds no rates."))
    return sorted(rates), tuple(sorted(skipped))


def store_reference_rates(rates: Iterable[ReferenceRate]) -> tuple[int, int]:
    """Store the rates not stored yet; returns (stored, already stored). Safe to run twice at
    once: a row another import stored meanwhile is skipped by the database, not an error."""
    rates = list(rates)
    if not rates:
        return 0, 0
    existing = {
        (currency, rate_date)
        for currency, rate_date in db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_date).where(
                ExchangeRate.source == RateSource.ECB.value,
                ExchangeRate.rate_date.between(
                    min(r.rate_date for r in rates), max(r.rate_date for r in rates)
                ),
            )
        )
    }
    new = [r for r in rates if (r.currency, r.rate_date) not in existing]
    if new:
        db.session.flush()
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = ExchangeRate.__table__
        assert isinstance(table, Table)  # typed as any FromClause; a mapped class has a Table
        statement = insert(table).on_conflict_do_nothing(
            index_elements=["currency", "rate_date"],
            index_where=text("source = 'ecb'"),
        )
        db.session.execute(
            statement,
            [
                {
                    "currency": r.currency,
                    "rate": r.rate,
                    "rate_date": r.rate_date,
                    "source": RateSource.ECB.value,
                }
                for r in new
            ],
        )
    return len(new), len(rates) - len(new)


def import_reference_rates(data: bytes) -> ImportResult:
    """Parse the whole file, then store its rates; nothing is stored from a malformed file.
    The caller owns the transaction (a CLI command, the beat task, a request)."""
    rates, skipped = parse_reference_rates(data)
    stored, already = store_reference_rates(rates)
    return ImportResult(
        days=len({r.rate_date for r in rates}),
        stored=stored,
        already_stored=already,
        skipped_currencies=skipped,
        latest=max(r.rate_date for r in rates),
    )


def download(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """The file at `url`, at most MAX_BYTES. EcbFetchError says why not."""
    if not url.startswith(("https://", "http://")):
        raise EcbFetchError("network", "the rates URL is not an http(s) address")
    request = urllib.request.Request(url, headers={"User-Agent": "ngo-exchange-rates/1"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise EcbFetchError("http_status", f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EcbFetchError("network", f"{type(exc).__name__}: {reason}"[:500]) from exc
    if len(data) > MAX_BYTES:
        raise EcbFetchError("too_large", f"more than {MAX_BYTES} bytes")
    return data
