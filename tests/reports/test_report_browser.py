"""The report page in a real browser: the vendored script follows the worker's progress
through the JSON status, and shows the download once the report is done, under the strict
Content-Security-Policy. Skipped where Chromium is not installed."""

from __future__ import annotations

import pytest

from ngo.extensions import db
from ngo.reports.models import Report, ReportKind, ReportStatus
from tests import factories
from tests import test_browser as browser_tests

pytestmark = browser_tests.pytestmark
live_server, page = browser_tests.live_server, browser_tests.page


def test_the_page_follows_the_progress_and_offers_the_download(
    app, page, live_server, organisation, make_user
):
    caseworker = make_user("caseworker", two_factor=False, is_demo=True)
    app.config["NGO_ENV"] = "development"  # demo users skip 2FA only here
    verifier = make_user("verifier")
    person = factories.seed_case(organisation, caseworker, verifier)
    appeal = factories.AppealFactory(beneficiary=person, actor=caseworker)
    expect = pytest.importorskip("playwright.sync_api").expect
    report = Report(
        organisation_id=organisation.id,
        kind=ReportKind.APPEAL,
        audience="public_page",
        appeal_id=appeal.id,
        status=ReportStatus.RENDERING,
        progress=10,
    )
    db.session.add(report)
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(caseworker.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")

    page.goto(f"{live_server}/staff/reports/{report.id}")
    assert page.locator("[data-report-refresh]").is_hidden()  # the script polls instead
    report.progress = 60
    db.session.commit()
    # Waited for by the page's text: the CSP forbids the evaluated scripts of wait_for_function.
    expect(page.locator("[data-report-percent]")).to_have_text("60")
    report.status, report.progress = ReportStatus.DONE, 100
    report.pdf, report.sha256 = b"%PDF-1.7 stand-in", "ab" * 32
    db.session.commit()

    download = page.get_by_role("link", name="Download the signed PDF")
    download.wait_for(state="visible")
    assert download.get_attribute("href") == f"/staff/reports/{report.id}/report.pdf"
    assert page.locator("[data-report-sha]").inner_text() == "ab" * 32
    assert page.locator("[data-report-running]").is_hidden()
    assert page.console_errors == []
