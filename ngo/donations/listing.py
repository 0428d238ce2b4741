"""The organisation's donations, filtered for the treasurer's list and the accountant's CSV.

Filters are read from the query string by the view and checked here (an unknown status,
method or currency, a date that is not one, a range that ends before it starts: a clear
refusal, never a silently empty list). Every query is scoped to the acting organisation.

The export holds what an accountant needs (amounts, dates, method, appeal, line, fee, rate,
status) and no donor e-mail or message: those serve the receipt and the beneficiary, never the
books. Donor names are added only to an export asked for "with donor names", and which kind
of export was made is in the audit log.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Select, func, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import Organisation, User
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations.models import Donation, DonationStatus, PaymentMethod
from ngo.donations.receipt_links import ReceiptRef, receipts_for
from ngo.extensions import db
from ngo.money import Money, MoneyError, format_plain
from ngo.money.currencies import check_currency
from ngo.rules import RuleError

PAGE_SIZE = 50
# An export is one file: beyond this, narrow the dates.
EXPORT_MAX_ROWS = 100_000


class FilterError(RuleError):
    pass


@dataclass(frozen=True)
class Filters:
    appeal_id: int | None = None
    status: str | None = None
    method: str | None = None
    currency: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_details(self) -> dict[str, Any]:
        """For the audit log: ids, codes and dates, nothing personal."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in self.__dict__.items()
            if value is not None
        }


def _date(text: str, field_name: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(_l("Enter a date as YYYY-MM-DD."), field=field_name) from None


def read_filters(args: dict[str, str], appeal_id: int | None) -> Filters:
    """Filters from what the form sent (the appeal already found in the organisation)."""
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in {s.value for s in DonationStatus}:
        raise FilterError(_l("Choose a status from the list."), field="status")
    method = (args.get("method") or "").strip() or None
    if method is not None and method not in {m.value for m in PaymentMethod}:
        raise FilterError(_l("Choose a way of giving from the list."), field="method")
    currency = (args.get("currency") or "").strip().upper() or None
    if currency is not None:
        try:
            check_currency(currency)
        except MoneyError:
            raise FilterError(
                _l("Choose a currency code such as EUR or PLN."), field="currency"
            ) from None
    date_from = _date(args.get("date_from", ""), "date_from")
    date_to = _date(args.get("date_to", ""), "date_to")
    if date_from and date_to and date_to < date_from:
        raise FilterError(_l("The range ends before it starts."), field="date_to")
    return Filters(appeal_id, status, method, currency, date_from, date_to)


def _statement(organisation_id: int, filters: Filters) -> Select[Donation]:
    stmt = select(Donation).where(Donation.organisation_id == organisation_id)
    if filters.appeal_id is not None:
        stmt = stmt.where(Donation.appeal_id == filters.appeal_id)
    if filters.status is not None:
        stmt = stmt.where(Donation.status == filters.status)
    if filters.method is not None:
        stmt = stmt.where(Donation.method == filters.method)
    if filters.currency is not None:
        stmt = stmt.where(Donation.currency == filters.currency)
    if filters.date_from is not None:
        stmt = stmt.where(gift_day() >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(gift_day() <= filters.date_to)
    return stmt


def gift_day() -> Any:
    """The day of a gift: when a treasurer received it (cash), else when it was given."""
    return func.coalesce(Donation.received_on, func.date(Donation.created_at), type_=Date)


@dataclass
class Page:
    donations: list[Donation]
    number: int
    pages: int
    total: int
    appeal_slugs: dict[int, str] = field(default_factory=dict)
    line_labels: dict[int, str] = field(default_factory=dict)
    receipts: dict[int, ReceiptRef] = field(default_factory=dict)


def donations_page(organisation_id: int, filters: Filters, page: int) -> Page:
    stmt = _statement(organisation_id, filters)
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(page, 1), pages)
    donations = list(
        db.session.scalars(
            stmt.order_by(Donation.created_at.desc(), Donation.id.desc())
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )
    )
    return Page(
        donations,
        number,
        pages,
        total,
        appeal_slugs(donations),
        line_labels({d.budget_line_id for d in donations if d.budget_line_id}),
        receipts_for([d.id for d in donations]),
    )


def appeal_slugs(donations: list[Donation]) -> dict[int, str]:
    ids = {d.appeal_id for d in donations}
    if not ids:
        return {}
    stmt = select(Appeal.id, Appeal.slug).where(Appeal.id.in_(ids))
    return dict(db.session.execute(stmt).all())


def line_labels(line_ids: set[int]) -> dict[int, str]:
    """Budget lines' labels in their appeal's own language (public text)."""
    if not line_ids:
        return {}
    labels: dict[int, str] = {}
    lines = db.session.scalars(
        select(BudgetLine)
        .where(BudgetLine.id.in_(line_ids))
        .options(selectinload(BudgetLine.labels), selectinload(BudgetLine.appeal))
    )
    for line in lines:
        fallback = line.appeal.fallback_language
        chosen = next((lb for lb in line.labels if lb.language == fallback), None)
        chosen = chosen or (line.labels[0] if line.labels else None)
        labels[line.id] = chosen.label if chosen else ""
    return labels


# The accountant's CSV ---------------------------------------------------------------------

COLUMNS = [
    "donation",
    "created_at",
    "received_on",
    "confirmed_at",
    "status",
    "method",
    "frequency",
    "appeal",
    "budget_line",
    "budget_line_label",
    "amount",
    "currency",
    "fee_covered_by_donor",
    "fee",
    "net",
    "returned",
    "appeal_amount",
    "appeal_currency",
    "rate",
    "rate_date",
    "rate_source",
    "receipt_number",
]
NAME_COLUMNS = ["donor_name", "display_name"]
# A cell a spreadsheet would run as a formula (CSV injection) starts with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _plain(amount_minor: int | None, currency: str) -> str:
    return "" if amount_minor is None else format_plain(Money(amount_minor, currency))


def export_csv(
    organisation: Organisation, filters: Filters, *, with_donor_names: bool, actor: User
) -> str:
    """The donations the filters select, oldest first, as CSV text; audited, with the kind
    of export and the filters (never a name). Amounts are decimals of their currency."""
    stmt = _statement(organisation.id, filters).order_by(Donation.created_at, Donation.id)
    if with_donor_names:
        stmt = stmt.options(selectinload(Donation.donor))
    donations = list(db.session.scalars(stmt.limit(EXPORT_MAX_ROWS + 1)))
    if len(donations) > EXPORT_MAX_ROWS:
        raise FilterError(
            _l("That is more than %(max)d gifts: choose a shorter range.", max=EXPORT_MAX_ROWS)
        )
    slugs = appeal_slugs(donations)
    currencies = dict(
        db.session.execute(
            select(Appeal.id, Appeal.currency).where(Appeal.id.in_(set(slugs)))
        ).all()
    )
    labels = line_labels({d.budget_line_id for d in donations if d.budget_line_id})
    receipts = receipts_for([d.id for d in donations])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS + (NAME_COLUMNS if with_donor_names else []))
    for d in donations:
        appeal_currency = currencies.get(d.appeal_id, d.currency)
        row: list[object] = [
            d.public_id,
            _iso(d.created_at),
            _iso(d.received_on),
            _iso(d.confirmed_at),
            d.status,
            d.method,
            d.frequency,
            slugs.get(d.appeal_id, ""),
            d.budget_line_id or "",
            labels.get(d.budget_line_id or 0, ""),
            _plain(d.amount_minor, d.currency),
            d.currency,
            _plain(d.fee_covered_minor, d.currency),
            _plain(d.fee_minor, d.currency),
            _plain(d.amount_minor - d.fee_minor - d.reversed_minor, d.currency),
            _plain(d.reversed_minor, d.currency),
            _plain(d.appeal_amount_minor, str(appeal_currency)),
            appeal_currency,
            d.rate or "",
            _iso(d.rate_date),
            d.rate_source or "",
            receipts[d.id].number if d.id in receipts else "",
        ]
        if with_donor_names:
            row += [d.donor.name if d.donor is not None else "", d.display_name]
        writer.writerow([_cell(value) for value in row])
    audit.record(
        "donations.exported",
        actor_id=actor.id,
        organisation_id=organisation.id,
        object_type="organisation",
        object_id=organisation.id,
        details={
            "rows": len(donations),
            "with_donor_names": with_donor_names,
            "filters": filters.as_details(),
        },
    )
    return buffer.getvalue()
