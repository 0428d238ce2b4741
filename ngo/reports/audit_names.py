"""How the audit log names the reports domain's records (ngo/audit_reading.py): a receipt by
its number ("receipt 2026-0003"), a report by what it reports on (an appeal, or a funder and
a period), a funder by its name, a grant by its title and funder, a subscription by its
funder. A receipt names its donor, the log never does. One query per object type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ngo import audit_reading, audit_related
from ngo.audit_reading import ObjectType, numeric_ids
from ngo.campaigns.audit_names import TEXT_COLUMNS, appeal_phrase, best_texts
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.donations.models import Donation
from ngo.extensions import db
from ngo.reports.funders.models import Funder, Grant, ReportSubscription
from ngo.reports.models import Report, ReportKind
from ngo.reports.receipts.models import Receipt, ReceiptKind


def receipt_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(Receipt.id, Receipt.kind, Receipt.number).where(
            Receipt.organisation_id == organisation_id, Receipt.id.in_(numeric_ids(ids))
        )
    )
    names = {}
    for receipt_id, kind, number in rows:
        if kind == ReceiptKind.CANCELLATION.value:
            names[str(receipt_id)] = _("cancellation note %(number)s", number=number)
        elif kind == ReceiptKind.ANNUAL.value:
            names[str(receipt_id)] = _("annual receipt %(number)s", number=number)
        else:
            names[str(receipt_id)] = _("receipt %(number)s", number=number)
    return names


def _period(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return ""
    return _("%(start)s to %(end)s", start=format_date(start), end=format_date(end))


def report_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(
            Report.id,
            Report.kind,
            Report.period_start,
            Report.period_end,
            Funder.name,
            *TEXT_COLUMNS,
        )
        .outerjoin(Funder, Funder.id == Report.funder_id)
        .outerjoin(Appeal, Appeal.id == Report.appeal_id)
        .outerjoin(AppealTranslation, AppealTranslation.appeal_id == Appeal.id)
        .where(Report.organisation_id == organisation_id, Report.id.in_(numeric_ids(ids)))
        .order_by(Report.id, AppealTranslation.id)
    ).all()
    texts = best_texts((row[0], *row[5:]) for row in rows)
    names: dict[str, str] = {}
    for report_id, kind, start, end, funder, *_text in rows:
        period = _period(start, end)
        if kind == ReportKind.APPEAL.value:
            name = _("the report on %(appeal)s", appeal=appeal_phrase(texts.get(report_id)))
        elif funder and period:
            name = _("the report for %(funder)s, %(period)s", funder=funder, period=period)
        elif funder:
            name = _("the report for %(funder)s", funder=funder)
        else:
            name = _("a report")
        names[str(report_id)] = name
    return names


def funder_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(Funder.id, Funder.name).where(
            Funder.organisation_id == organisation_id, Funder.id.in_(numeric_ids(ids))
        )
    )
    return {str(funder_id): name for funder_id, name in rows}


def grant_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(Grant.id, Grant.title, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(Grant.organisation_id == organisation_id, Grant.id.in_(numeric_ids(ids)))
    )
    return {
        str(grant_id): _("the grant “%(title)s” from %(funder)s", title=title, funder=funder)
        for grant_id, title, funder in rows
    }


def subscription_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(ReportSubscription.id, Funder.name)
        .join(Funder, Funder.id == ReportSubscription.funder_id)
        .where(
            ReportSubscription.organisation_id == organisation_id,
            ReportSubscription.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(subscription_id): _("the report subscription of %(funder)s", funder=funder)
        for subscription_id, funder in rows
    }


def case_receipts_and_reports(case_id: int, organisation_id: int) -> Mapping[str, Select[Any]]:
    """The receipts of gifts to the case's appeals and the appeals' accountability reports,
    for its History tab (ngo/audit_related.py). An annual receipt covers a donor's year
    across appeals: it belongs to no case."""
    return {
        "receipt": select(Receipt.id)
        .join(Donation, Donation.id == Receipt.donation_id)
        .join(Appeal, Appeal.id == Donation.appeal_id)
        .where(Appeal.beneficiary_id == case_id, Receipt.organisation_id == organisation_id),
        "report": select(Report.id)
        .join(Appeal, Appeal.id == Report.appeal_id)
        .where(Appeal.beneficiary_id == case_id, Report.organisation_id == organisation_id),
    }


OBJECT_TYPES = (
    ObjectType("receipt", names=receipt_names, label=_l("a receipt")),
    ObjectType("report", names=report_names, label=_l("a report")),
    ObjectType("funder", names=funder_names, label=_l("a funder")),
    ObjectType("grant", names=grant_names, label=_l("a grant")),
    ObjectType("report_subscription", names=subscription_names, label=_l("a report subscription")),
    ObjectType("report_signing_key", label=_l("a report signing key")),
)


def register(app: Flask) -> None:
    audit_reading.register_object_types(app, OBJECT_TYPES)
    audit_related.register_related_objects(app, "case", case_receipts_and_reports)
