"""An appeal report rendered by a real Celery worker process on PostgreSQL and Redis: the page
polls its progress from another connection while the worker commits it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.extensions import db
from ngo.reports import appeal_reports
from ngo.reports.models import Report, ReportStatus
from ngo.reports.signing import check_signature, signing_key_for
from tests import test_worker_integration as worker_tests
from tests.reports.appeal_reports.conftest import pdf_text

pytestmark = pytest.mark.integration

alexander, published, sample_documents_once, staff = (
    worker_tests.alexander,
    worker_tests.published,
    worker_tests.sample_documents_once,
    worker_tests.staff,
)
celery_worker, smtp, app_config = (
    worker_tests.celery_worker,
    worker_tests.smtp,
    worker_tests.app_config,
)


def test_the_worker_renders_a_signed_report_with_progress(
    app, client, celery_worker, published, staff
):
    report = appeal_reports.request_appeal_report(
        published, actor=staff["caseworker"], language="en"
    )
    db.session.commit()  # the after-commit hook hands the message to Redis
    report_id = report.id
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        db.session.expire_all()
        row = db.session.execute(
            select(Report.status, Report.progress).where(Report.id == report_id)
        ).one()
        if not seen or seen[-1] != tuple(row):
            seen.append((row.status, row.progress))
        if row.status in (ReportStatus.DONE, ReportStatus.FAILED):
            break
        time.sleep(0.1)

    done = db.session.get_one(Report, report_id)
    assert done.status == ReportStatus.DONE, (done.error, seen)
    assert seen[-1] == ("done", 100)
    assert done.pdf is not None and "Accountability report" in pdf_text(done.pdf)
    organisation = db.session.get_one(Organisation, published.organisation_id)
    check = check_signature(done.pdf, trust_roots=[signing_key_for(organisation).certificate])
    assert check.intact and check.valid and check.trusted
