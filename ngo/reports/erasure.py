"""Erasure of a case reaches the reports that hold its appeal (receives `ngo.signals.case_erased`).

A signed report freezes the appeal's public text as it was: the person's story summary, updates
and figures. When the person is erased, the stored PDF and its frozen data go with the appeal's
public text; the report's row stays with its SHA-256 and dates, so the archive still shows that
a report existed and what its hash was, and downloads answer 404."""

from __future__ import annotations

from sqlalchemy import select, update

from ngo.campaigns.appeals import appeals_of_case
from ngo.cases.models import Beneficiary
from ngo.extensions import db
from ngo.reports.models import Report, ReportKind


def erase_reports_of_case(beneficiary: Beneficiary, **_: object) -> None:
    appeal_ids = {appeal.id for appeal in appeals_of_case(beneficiary.id)}
    if not appeal_ids:
        return
    db.session.execute(
        update(Report)
        .where(Report.appeal_id.in_(appeal_ids))
        .values(pdf=None, data=None)
        .execution_options(synchronize_session=False)
    )
    portfolios = db.session.scalars(
        select(Report).where(
            Report.kind == ReportKind.PORTFOLIO,
            Report.organisation_id == beneficiary.organisation_id,
        )
    )
    for report in portfolios:
        held = {entry.get("appeal_id") for entry in (report.data or {}).get("appeals", [])}
        if held & appeal_ids:
            report.pdf = None
            report.data = None
