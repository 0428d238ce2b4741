"""The staff pages of the appeal report: the button on the appeal's page, the progress page
(with and without its script), the JSON status it polls, the download, the retry; the
organisation scope; and the public download of a listed appeal's public report."""

from __future__ import annotations

import hashlib

import pytest

from ngo.cases.models import Beneficiary
from ngo.extensions import db
from ngo.reports.models import Report, ReportKind, ReportStatus
from tests import factories
from tests.conftest import login


def _start(client, appeal) -> str:
    """Press the button on the appeal's staff page; the report page's address."""
    page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)
    assert "Generate the report" in page
    response = client.post(f"/staff/appeals/{appeal.slug}/reports", data={})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def _only_report() -> Report:
    (report,) = db.session.query(Report).all()
    db.session.refresh(report)
    return report


def test_staff_generate_follow_and_download_the_signed_report(client, appeal, give, staff):
    give(5_000)
    login(client, staff["caseworker"])

    location = _start(client, appeal)

    report = _only_report()
    assert location.endswith(f"/staff/reports/{report.id}")
    status = client.get(f"/staff/reports/{report.id}/status")
    assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
    body = status.get_json()
    assert body["status"] == "done" and body["progress"] == 100 and body["finished"]
    assert body["sha256"] == report.sha256
    page = client.get(location).get_data(as_text=True)
    assert body["download_url"] in page and report.sha256 in page
    download = client.get(body["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == report.sha256
    assert download.headers["X-Content-SHA256"] == report.sha256
    # The appeal's page lists it with its link.
    appeal_page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)
    assert f"/staff/reports/{report.id}/report.pdf" in appeal_page


def _queued_report(appeal, progress: int = 0, status: str = ReportStatus.QUEUED) -> Report:
    report = Report(
        organisation_id=appeal.organisation_id,
        kind=ReportKind.APPEAL,
        audience="public_page",
        appeal_id=appeal.id,
        status=status,
        progress=progress,
    )
    db.session.add(report)
    db.session.commit()
    return report


def test_a_report_in_progress_shows_its_progress_with_and_without_the_script(client, appeal, staff):
    report = _queued_report(appeal, progress=45, status=ReportStatus.RENDERING)
    login(client, staff["caseworker"])

    page = client.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    status = client.get(f"/staff/reports/{report.id}/status").get_json()

    assert 'value="45"' in page  # the progress bar, drawn by the server
    assert f'href="/staff/reports/{report.id}"' in page  # the refresh link, for no script
    assert "js/report-progress.js" in page and "https://" not in page.split("<body")[0]
    assert status == {
        "status": "rendering",
        "label": "Being prepared",
        "progress": 45,
        "finished": False,
        "error": None,
        "sha256": None,
        "download_url": None,
    }
    assert client.get(f"/staff/reports/{report.id}/report.pdf").status_code == 404


def test_a_failed_report_shows_its_reason_and_a_retry_that_renders_it(client, appeal, give, staff):
    give(5_000)
    person = db.session.get_one(Beneficiary, appeal.beneficiary_id)
    legal_city = person.city_of_residence
    person.city_of_residence = "Rent"  # a word of the budget's labels: the check finds it
    db.session.commit()
    login(client, staff["caseworker"])
    location = _start(client, appeal)
    report = _only_report()
    assert report.status == ReportStatus.FAILED

    page = client.get(location).get_data(as_text=True)
    assert "budget lines" in page and "Try again" in page
    person.city_of_residence = legal_city
    db.session.commit()
    response = client.post(f"/staff/reports/{report.id}/retry", data={})

    assert response.status_code == 303
    assert _only_report().status == ReportStatus.DONE


def test_retrying_a_report_that_did_not_fail_is_refused(client, appeal, staff):
    report = _queued_report(appeal, status=ReportStatus.DONE)
    login(client, staff["caseworker"])

    response = client.post(f"/staff/reports/{report.id}/retry", data={})

    assert response.status_code == 409
    assert "Only a report that failed can be tried again." in response.get_data(as_text=True)


def test_another_organisations_reports_are_not_found(client, appeal, staff):
    report = _queued_report(appeal, status=ReportStatus.FAILED)
    elsewhere = factories.UserFactory(role="admin", organisation=factories.OrganisationFactory())
    login(client, elsewhere)

    assert client.get(f"/staff/reports/{report.id}").status_code == 404
    assert client.get(f"/staff/reports/{report.id}/status").status_code == 404
    assert client.get(f"/staff/reports/{report.id}/report.pdf").status_code == 404
    assert client.post(f"/staff/reports/{report.id}/retry", data={}).status_code == 404
    assert client.post(f"/staff/appeals/{appeal.slug}/reports", data={}).status_code == 404
    assert db.session.query(Report).count() == 1


@pytest.mark.parametrize(("role", "allowed"), [("treasurer", True), ("verifier", False)])
def test_who_may_follow_a_report(client, appeal, staff, role, allowed):
    report = _queued_report(appeal)
    login(client, staff[role])

    assert client.get(f"/staff/reports/{report.id}").status_code == (200 if allowed else 403)


def test_a_verifier_sees_the_appeal_without_the_report_button(client, appeal, staff):
    login(client, staff["verifier"])

    page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)

    assert "Accountability report" not in page


def test_the_public_downloads_the_signed_report_of_a_listed_appeal(
    client, browser, appeal, give, staff
):
    give(5_000)
    login(client, staff["caseworker"])
    _start(client, appeal)
    report = _only_report()
    public_url = f"/appeals/{appeal.slug}/accountability-report/{report.id}.pdf"
    assert public_url in client.get(f"/staff/reports/{report.id}").get_data(as_text=True)

    anyone = browser()
    response = anyone.get(public_url)

    assert response.status_code == 200 and response.data == report.pdf
    assert (
        anyone.get(f"/appeals/other-slug/accountability-report/{report.id}.pdf").status_code == 404
    )
    # A report for funders is never public, nor one that is not done.
    report.audience = "funder_reports"
    db.session.commit()
    assert anyone.get(public_url).status_code == 404
