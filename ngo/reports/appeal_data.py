"""The figures and public texts of an appeal's accountability report, frozen as plain JSON.

Everything is read as the public may see it: the appeal's public text in the report's
language, the verification record (checks and dates, the organisation's name, never a
person's), the budget lines with their counters, the gifts as aggregates only (no donor, no
display name, no message), approved disbursements with their public descriptions, the updates
shown publicly, and the ledger's head for the appeal with a signed checkpoint.

Every money figure is an aggregate computed by the database (GROUP BY, SUM, COUNT and one
ORDER BY ... OFFSET for the median), so an appeal with 100,000 gifts costs a few scans, not a
Python loop over its donations. The snapshot holds minor units and ISO dates; the template
formats them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal, AppealUpdate, BudgetLine
from ngo.campaigns.presentation import line_text, translation_for, verification_badge
from ngo.cases.models import EvidenceItem
from ngo.donations import ledger
from ngo.donations.models import (
    Disbursement,
    DisbursementStatus,
    Donation,
    DonationStatus,
    LedgerTransaction,
)
from ngo.extensions import db
from ngo.timeutil import utcnow

# Gifts the statistics count: confirmed and not taken back. Refunds and chargebacks are counted
# apart, so the figures add up to the appeal's counters.
_RECEIVED = DonationStatus.CONFIRMED.value
_TAKEN_BACK = (DonationStatus.REFUNDED.value, DonationStatus.DISPUTED.value)


def collect(appeal: Appeal, language: str) -> dict[str, Any]:
    """The report's frozen data for `appeal`, its texts in `language` where written."""
    organisation = db.session.get_one(Organisation, appeal.organisation_id)
    text = translation_for(appeal, language)
    groups = _gift_groups(appeal)
    lines = list(
        db.session.scalars(
            select(BudgetLine)
            .where(BudgetLine.appeal_id == appeal.id)
            .options(selectinload(BudgetLine.labels))
            .order_by(BudgetLine.priority, BudgetLine.id)
        )
    )
    return {
        "language": language,
        "generated_at": _iso(utcnow()),
        "appeal": {
            "slug": appeal.slug,
            "title": text.title if text else "",
            "summary": text.summary if text else "",
            "display_name": text.display_name if text else "",
            "currency": appeal.currency,
            "status": appeal.status,
            "published_at": _iso(appeal.published_at),
            "deadline": _iso(appeal.deadline),
        },
        "organisation": {
            "name": organisation.legal_name or organisation.name,
            "registration_number": organisation.registration_number or "",
            "website": organisation.website or "",
        },
        "verification": _verification(appeal, organisation),
        "budget": _budget(appeal, lines, groups, language),
        "raised_over_time": _raised_by_day(appeal),
        "donations": _donation_statistics(appeal, groups),
        "disbursements": _disbursements(appeal, lines, language),
        "updates": _updates(appeal),
        "ledger": _ledger(appeal),
    }


def _iso(moment: date | datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _verification(appeal: Appeal, organisation: Organisation) -> dict[str, Any] | None:
    badge = verification_badge(appeal, organisation.legal_name or organisation.name)
    if badge is None:
        return None
    return {
        "organisation": badge.organisation,
        "verified_on": _iso(badge.verified_on),
        "valid_until": _iso(badge.valid_until),
        "checks": list(badge.checks),
    }


def _budget(
    appeal: Appeal, budget_lines: list[BudgetLine], groups: list[_Group], language: str
) -> dict[str, Any]:
    """Per line: goal, raised (gifts given for that line), allocated (its fund: designated
    gifts and its share of gifts for the whole appeal), spent, remaining (allocated, not yet
    spent)."""
    designated: dict[int | None, int] = {}
    for group in groups:
        designated[group.line] = designated.get(group.line, 0) + group.amount
    lines = []
    for line in budget_lines:
        label, description = line_text(line, language, appeal.fallback_language)
        lines.append(
            {
                "id": line.id,
                "label": label,
                "description": description,
                "essential": line.essential,
                "goal": line.amount_minor,
                "raised": int(designated.get(line.id) or 0),
                "allocated": line.funded_minor,
                "spent": line.spent_minor,
                "remaining": line.funded_minor - line.spent_minor,
            }
        )
    return {
        "lines": lines,
        "goal": sum(line["goal"] for line in lines),
        "allocated": sum(line["allocated"] for line in lines),
        "spent": sum(line["spent"] for line in lines),
        "remaining": sum(line["remaining"] for line in lines),
        # The appeal's counter: every gift net of refunds, the reserve and fees included.
        "raised": appeal.raised_minor,
    }


def _raised_by_day(appeal: Appeal) -> list[dict[str, Any]]:
    """Gifts received per day (in the appeal's currency) and their running total."""
    day = func.date(Donation.confirmed_at)
    rows = db.session.execute(
        select(day.label("day"), func.sum(Donation.appeal_amount_minor))
        .where(Donation.appeal_id == appeal.id, Donation.status == _RECEIVED)
        .group_by(day)
        .order_by(day)
    ).all()
    running = 0
    series = []
    for moment, amount in rows:
        running += int(amount or 0)
        series.append({"day": str(moment)[:10], "amount": int(amount or 0), "total": running})
    return series


@dataclass(frozen=True)
class _Group:
    """Received gifts of one currency, method, frequency and line: count and sums."""

    currency: str
    method: str
    frequency: str
    line: int | None
    count: int
    given: int  # in `currency`
    amount: int  # in the appeal's currency


def _gift_groups(appeal: Appeal) -> list[_Group]:
    """One scan of the appeal's received gifts, grouped by everything the report breaks them
    down by: a few dozen rows, whatever the number of gifts, that the breakdowns add up."""
    rows = db.session.execute(
        select(
            Donation.currency,
            Donation.method,
            Donation.frequency,
            Donation.budget_line_id,
            func.count(),
            func.sum(Donation.amount_minor),
            func.sum(Donation.appeal_amount_minor),
        )
        .where(Donation.appeal_id == appeal.id, Donation.status == _RECEIVED)
        .group_by(Donation.currency, Donation.method, Donation.frequency, Donation.budget_line_id)
    ).all()
    return [
        _Group(currency, method, frequency, line, int(n), int(given or 0), int(amount or 0))
        for currency, method, frequency, line, n, given, amount in rows
    ]


def _breakdown(groups: list[_Group], key: str, amount: str) -> list[dict[str, Any]]:
    totals: dict[str, list[int]] = {}
    for group in groups:
        total = totals.setdefault(getattr(group, key), [0, 0])
        total[0] += group.count
        total[1] += getattr(group, amount)
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [{key: name, "count": n, "amount": value} for name, (n, value) in ordered]


def _donation_statistics(appeal: Appeal, groups: list[_Group]) -> dict[str, Any]:
    count = sum(group.count for group in groups)
    taken_back = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Donation.reversed_minor), 0)).where(
            Donation.appeal_id == appeal.id, Donation.status.in_(_TAKEN_BACK)
        )
    ).one()
    return {
        "count": count,
        "total": sum(group.amount for group in groups),
        "median": _median(appeal, count),
        "by_currency": _breakdown(groups, "currency", "given"),
        "by_method": _breakdown(groups, "method", "amount"),
        "by_frequency": {
            row["frequency"]: {"count": row["count"], "amount": row["amount"]}
            for row in _breakdown(groups, "frequency", "amount")
        },
        "taken_back_count": int(taken_back[0]),
    }


def _median(appeal: Appeal, count: int) -> int | None:
    """The median gift, from the one or two middle rows the database sorts out (SQLite has
    no percentile function; this reads the same on PostgreSQL)."""
    if count == 0:
        return None
    middle = (
        select(Donation.appeal_amount_minor)
        .where(Donation.appeal_id == appeal.id, Donation.status == _RECEIVED)
        .order_by(Donation.appeal_amount_minor)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    )
    values = [int(v or 0) for v in db.session.scalars(middle)]
    return sum(values) // len(values)


def _disbursements(
    appeal: Appeal, budget_lines: list[BudgetLine], language: str
) -> list[dict[str, Any]]:
    labels = {
        line.id: line_text(line, language, appeal.fallback_language)[0] for line in budget_lines
    }
    rows = db.session.execute(
        select(
            Disbursement.paid_on,
            Disbursement.amount_minor,
            Disbursement.currency,
            Disbursement.budget_line_id,
            Disbursement.public_description,
            EvidenceItem.checked_at,
        )
        .outerjoin(EvidenceItem, EvidenceItem.id == Disbursement.proof_evidence_id)
        .where(
            Disbursement.appeal_id == appeal.id,
            Disbursement.status == DisbursementStatus.APPROVED.value,
        )
        .order_by(Disbursement.paid_on, Disbursement.id)
    ).all()
    return [
        {
            "paid_on": _iso(row.paid_on),
            "amount": row.amount_minor,
            "currency": row.currency,
            "line": labels.get(row.budget_line_id, ""),
            "description": row.public_description,
            "proof_checked_on": _iso(row.checked_at.date() if row.checked_at else None),
        }
        for row in rows
    ]


def _updates(appeal: Appeal) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(
            AppealUpdate.posted_at,
            AppealUpdate.language,
            AppealUpdate.title,
            AppealUpdate.body_markdown,
        )
        .where(AppealUpdate.appeal_id == appeal.id, AppealUpdate.shown_publicly())
        .order_by(AppealUpdate.posted_at, AppealUpdate.id)
    ).all()
    return [
        {
            "posted_on": _iso(row.posted_at.date() if row.posted_at else None),
            "language": row.language,
            "title": row.title,
            "body": row.body_markdown,
        }
        for row in rows
    ]


def _ledger(appeal: Appeal) -> dict[str, Any]:
    """The appeal's newest ledger entry and the newest signed checkpoint. If that checkpoint
    does not reach the appeal's newest entry, one is signed now: signing walks the chain from
    the previous checkpoint (beat signs one hourly, so an hour of entries at most)."""
    entries, last_seq = db.session.execute(
        select(func.count(), func.max(LedgerTransaction.seq)).where(
            LedgerTransaction.appeal_id == appeal.id
        )
    ).one()
    checkpoint = ledger.LEDGER_LOG.newest_checkpoint()
    if last_seq is not None and (checkpoint is None or checkpoint.seq < last_seq):
        checkpoint = ledger.LEDGER_LOG.write_checkpoint()
    last_hash = (
        db.session.scalar(select(LedgerTransaction.hash).where(LedgerTransaction.seq == last_seq))
        if last_seq is not None
        else None
    )
    return {
        "appeal_entries": int(entries),
        "appeal_last_seq": last_seq,
        "appeal_last_hash": last_hash,
        "checkpoint": None
        if checkpoint is None
        else {
            "seq": checkpoint.seq,
            "head_hash": checkpoint.head_hash,
            "public_key": checkpoint.public_key,
            "created_at": _iso(checkpoint.created_at),
            "line": checkpoint.as_checkpoint().to_line(),
        },
    }


def public_texts(data: dict[str, Any]) -> dict[str, str]:
    """Every text of the snapshot that someone wrote (field name -> text), for the
    publication safety check; the figures and the words of the template are ours."""
    texts = {
        "title": data["appeal"]["title"],
        "summary": data["appeal"]["summary"],
        "display_name": data["appeal"]["display_name"],
        "organisation": data["organisation"]["name"],
    }
    for line in data["budget"]["lines"]:
        texts[f"budget:{line['id']}"] = f"{line['label']}\n{line['description']}"
    for n, item in enumerate(data["disbursements"]):
        texts[f"disbursement:{n + 1}"] = item["description"]
    for n, update in enumerate(data["updates"]):
        texts[f"update:{n + 1}"] = f"{update['title']}\n{update['body']}"
    return texts
