"""The data of a funder's portfolio report: every appeal its grants link to, with totals,
progress, spending per budget line, the period's gifts and payments, updates and outcomes.

Figures are aggregated in SQL (one grouped query per kind over all the appeals, never a row per
donation), and only what the public side of an appeal shows is read: its public texts, its
counters, its approved payments' public descriptions and its published updates. Never a case,
never a donor. Every text is then checked for the person's private values under the consents
they gave for funder reports (ngo.cases consent audiences): a text with a finding is left out
and counted, so the report says that something was withheld without saying what.

The result is plain JSON (ints, strings, ISO dates), frozen with the report so that the PDF can
be rendered again from it and says what was true when it was made."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal, AppealStatus, AppealUpdate, BudgetLine
from ngo.campaigns.presentation import line_text, translation_for
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.donations.models import Disbursement, DisbursementStatus, Donation, DonationStatus
from ngo.extensions import db
from ngo.reports.funders.models import Funder, Grant, grant_appeals
from ngo.reports.funders.periods import Period
from ngo.timeutil import utcnow

# Appeals a funder may read about: made public once. Drafts and appeals in review are not.
REPORTED_STATUSES = (
    AppealStatus.PUBLISHED.value,
    AppealStatus.FUNDED.value,
    AppealStatus.CLOSED.value,
)
SNAPSHOT_VERSION = 1


def grants_of(funder_id: int, overlapping: Period | None = None) -> list[Grant]:
    stmt = select(Grant).where(Grant.funder_id == funder_id).order_by(Grant.starts_on, Grant.id)
    if overlapping is not None:
        stmt = stmt.where(Grant.starts_on <= overlapping.end, Grant.ends_on >= overlapping.start)
    return list(db.session.scalars(stmt))


def linked_appeal_ids(grants: Iterable[Grant]) -> list[int]:
    """The reportable appeals that the grants name, or that are in one of their categories,
    of the grants' organisation."""
    grant_list = list(grants)
    if not grant_list:
        return []
    organisation_id = grant_list[0].organisation_id
    categories = {c for g in grant_list for c in g.category_list}
    # Categories are stored comma-joined (Appeal.categories); ",a,b," contains ",a,".
    wrapped = "," + Appeal.categories + ","
    by_category = [wrapped.like(f"%,{c.value},%") for c in categories]
    named = select(grant_appeals.c.appeal_id).where(
        grant_appeals.c.grant_id.in_([g.id for g in grant_list])
    )
    return list(
        db.session.scalars(
            select(Appeal.id)
            .where(
                Appeal.organisation_id == organisation_id,
                Appeal.status.in_(REPORTED_STATUSES),
                or_(Appeal.id.in_(named), *by_category),
            )
            .order_by(Appeal.published_at, Appeal.id)
        )
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _lines_by_appeal(appeal_ids: list[int]) -> dict[int, list[BudgetLine]]:
    lines: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in db.session.scalars(
        select(BudgetLine)
        .where(BudgetLine.appeal_id.in_(appeal_ids))
        .order_by(BudgetLine.appeal_id, BudgetLine.priority, BudgetLine.id)
    ):
        lines[line.appeal_id].append(line)
    return lines


def _gifts_in(appeal_ids: list[int], period: Period) -> dict[int, tuple[int, int]]:
    """(number of gifts, their sum in the appeal's currency) per appeal, confirmed within the
    period: one grouped query, however many gifts there are."""
    rows = db.session.execute(
        select(
            Donation.appeal_id,
            func.count(Donation.id),
            func.coalesce(func.sum(Donation.appeal_amount_minor), 0),
        )
        .where(
            Donation.appeal_id.in_(appeal_ids),
            Donation.status == DonationStatus.CONFIRMED.value,
            Donation.confirmed_at >= _day_start(period.start),
            Donation.confirmed_at < _day_start(period.end + timedelta(days=1)),
        )
        .group_by(Donation.appeal_id)
    )
    return {appeal_id: (int(count or 0), int(total or 0)) for appeal_id, count, total in rows}


def _payments_in(appeal_ids: list[int], period: Period) -> dict[int, list[Disbursement]]:
    payments: dict[int, list[Disbursement]] = defaultdict(list)
    for payment in db.session.scalars(
        select(Disbursement)
        .where(
            Disbursement.appeal_id.in_(appeal_ids),
            Disbursement.status == DisbursementStatus.APPROVED.value,
            Disbursement.paid_on >= period.start,
            Disbursement.paid_on <= period.end,
        )
        .order_by(Disbursement.paid_on, Disbursement.id)
    ):
        payments[payment.appeal_id].append(payment)
    return payments


def _updates_in(appeal_ids: list[int], period: Period) -> dict[int, list[AppealUpdate]]:
    updates: dict[int, list[AppealUpdate]] = defaultdict(list)
    for update in db.session.scalars(
        select(AppealUpdate)
        .where(
            AppealUpdate.appeal_id.in_(appeal_ids),
            AppealUpdate.shown_publicly(),
            AppealUpdate.posted_at >= _day_start(period.start),
            AppealUpdate.posted_at < _day_start(period.end + timedelta(days=1)),
        )
        .order_by(AppealUpdate.posted_at, AppealUpdate.id)
    ):
        updates[update.appeal_id].append(update)
    return updates


class _Checker:
    """Withholds each text holding a private value of the appeal's person, as the funder
    reports audience's consents define them."""

    def __init__(self, appeal: Appeal) -> None:
        person = db.session.get(Beneficiary, appeal.beneficiary_id)
        self.erased = person is None or person.erased_at is not None
        self.private = (
            []
            if person is None or self.erased
            else safety.private_values_of(
                person, consented_items(person.id, ConsentAudience.FUNDER_REPORTS)
            )
        )
        self.withheld = 0

    def __call__(self, text: str) -> str | None:
        if self.erased:
            self.withheld += bool(text.strip())
            return None
        if text.strip() and safety.scan_texts({"text": text}, self.private):
            self.withheld += 1
            return None
        return text


def _appeal_entry(
    appeal: Appeal,
    lines: list[BudgetLine],
    gifts: tuple[int, int],
    payments: list[Disbursement],
    updates: list[AppealUpdate],
    language: str,
) -> dict[str, Any]:
    check = _Checker(appeal)
    translation = translation_for(appeal, language)
    line_entries = []
    labels: dict[int, str | None] = {}
    for line in lines:
        label = check(line_text(line, language, appeal.fallback_language)[0])
        labels[line.id] = label
        line_entries.append(
            {
                "label": label,
                "essential": line.essential,
                "amount": line.amount_minor,
                "funded": line.funded_minor,
                "spent": line.spent_minor,
                "remaining": max(line.amount_minor - line.spent_minor, 0),
            }
        )
    spent = sum(line.spent_minor for line in lines)
    essential = [line for line in lines if line.essential]
    return {
        "title": check(translation.title if translation else ""),
        "summary": check(translation.summary if translation else ""),
        "status": appeal.status,
        # The public page's address, while the public site shows the appeal.
        # Which appeals a frozen report holds: erasing a case erases the reports that hold it.
        "appeal_id": appeal.id,
        "public_slug": appeal.slug if appeal.listed else None,
        "currency": appeal.currency,
        "published_on": appeal.published_at.date().isoformat() if appeal.published_at else None,
        "goal": appeal.goal_minor,
        "raised": appeal.raised_minor,
        "spent": spent,
        "progress_percent": min(100, appeal.raised_minor * 100 // appeal.goal_minor)
        if appeal.goal_minor
        else 0,
        "lines": line_entries,
        "period_gifts": gifts[0],
        "period_raised": gifts[1],
        "payments": [
            {
                "paid_on": p.paid_on.isoformat(),
                "amount": p.amount_minor,
                "currency": p.currency,
                "line": labels.get(p.budget_line_id),
                "description": check(p.public_description),
            }
            for p in payments
        ],
        "updates": [
            {
                "posted_on": u.posted_at.date().isoformat() if u.posted_at else None,
                "title": check(u.title),
                "body": check(u.body_markdown),
            }
            for u in updates
        ],
        "outcomes": {
            "essential_funded": bool(essential)
            and all(line.funded_minor >= line.amount_minor for line in essential),
            "lines_fully_spent": sum(1 for line in lines if line.spent_minor >= line.amount_minor),
            "lines": len(lines),
        },
        "withheld_texts": check.withheld,
    }


def _totals(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sums per currency: appeals in different currencies are never added together."""
    by_currency: dict[str, dict[str, int]] = {}
    for entry in entries:
        total = by_currency.setdefault(
            entry["currency"], {"goal": 0, "raised": 0, "spent": 0, "period_raised": 0}
        )
        for key in total:
            total[key] += entry[key]
    return [{"currency": c, **figures} for c, figures in sorted(by_currency.items())]


def build_snapshot(funder: Funder, period: Period, *, language: str) -> dict[str, Any]:
    """The frozen data of one portfolio report (see the module's docstring)."""
    grants = grants_of(funder.id, overlapping=period)
    appeal_ids = linked_appeal_ids(grants)
    appeals = (
        list(db.session.scalars(select(Appeal).where(Appeal.id.in_(appeal_ids))))
        if appeal_ids
        else []
    )
    appeals.sort(key=lambda a: appeal_ids.index(a.id))
    lines = _lines_by_appeal(appeal_ids)
    gifts = _gifts_in(appeal_ids, period)
    payments = _payments_in(appeal_ids, period)
    updates = _updates_in(appeal_ids, period)
    entries = [
        _appeal_entry(
            appeal,
            lines.get(appeal.id, []),
            gifts.get(appeal.id, (0, 0)),
            payments.get(appeal.id, []),
            updates.get(appeal.id, []),
            language,
        )
        for appeal in appeals
    ]
    return {
        "version": SNAPSHOT_VERSION,
        "funder": funder.name,
        "language": language,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "made_at": utcnow().replace(microsecond=0).isoformat(),
        "grants": [
            {
                "title": g.title,
                "amount": g.amount_minor,
                "currency": g.currency,
                "starts_on": g.starts_on.isoformat(),
                "ends_on": g.ends_on.isoformat(),
                "categories": g.category_list,
                "appeals": len(g.appeals),
            }
            for g in grants
        ],
        "appeals": entries,
        "totals": _totals(entries),
    }
