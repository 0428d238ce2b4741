"""Readers' concern reports: the public form, its limits, and the staff queue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from ngo.accounts import policy
from ngo.accounts.models import Role
from ngo.accounts.policy import Action
from ngo.audit import AuditEvent
from ngo.campaigns import concerns, services
from ngo.campaigns.concerns import ConcernError
from ngo.campaigns.models import ConcernReport, ConcernStatus
from ngo.extensions import db, limiter
from tests.campaigns import appeal_fixtures
from tests.conftest import login
from tests.helpers import page_text

MESSAGE = "The photo in this appeal shows the street sign outside their flat."
CONTACT = "worried.reader@example.org"

# Fixtures shared with the other tests of published appeals.
alexander, other_organisation_appeal, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.other_organisation_appeal,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


def report(client, appeal, **data):
    form = {"concern-kind": "personal_data", "concern-message": MESSAGE, **data}
    return client.post(f"/appeals/{appeal.slug}/concern", data=form)


def report_count() -> int:
    return db.session.scalar(select(func.count(ConcernReport.id)))


# The service ------------------------------------------------------------------------------


def test_a_report_is_stored_encrypted_and_audited_without_its_text(published):
    created = concerns.report_concern(
        published, kind="fraud", message=f"  {MESSAGE}  ", contact_email=CONTACT
    )
    db.session.commit()
    assert (created.organisation_id, created.status) == (published.organisation_id, "open")
    assert created.message == MESSAGE
    raw = db.session.execute(text("SELECT message, contact_email FROM concern_reports")).one()
    assert MESSAGE.encode() not in bytes(raw[0]) and CONTACT.encode() not in bytes(raw[1])
    (event_,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appeal.concern_reported")
    ).all()
    assert event_.actor_id is None
    assert event_.details == {"concern": created.reference, "kind": "fraud", "contact_left": True}
    assert MESSAGE not in json.dumps(event_.details) and CONTACT not in json.dumps(event_.details)


def test_the_service_refuses_bad_reports(published):
    cases = [
        ({"kind": "spam"}, "kind"),
        ({"message": "   too short  "}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"message": ""}, "message"),
        ({"contact_email": "nobody"}, "contact_email"),
    ]
    for data, field in cases:
        with pytest.raises(ConcernError) as info:
            concerns.report_concern(published, **{"kind": "other", "message": MESSAGE, **data})
        assert info.value.field == field, data
    assert report_count() == 0


def test_resolving_and_dismissing(published, staff):
    first = concerns.report_concern(published, kind="fraud", message=MESSAGE)
    second = concerns.report_concern(published, kind="other", message=MESSAGE)
    db.session.commit()
    assert concerns.open_concerns(published.organisation_id) == [first, second]
    concerns.resolve_concern(first, actor=staff["verifier"], dismissed=False)
    concerns.resolve_concern(second, actor=staff["verifier"], dismissed=True)
    db.session.commit()
    assert (first.status, second.status) == (ConcernStatus.RESOLVED, ConcernStatus.DISMISSED)
    assert first.handled_by_id == staff["verifier"].id and first.handled_at is not None
    assert concerns.open_concerns(published.organisation_id) == []
    with pytest.raises(ConcernError, match="already handled"):
        concerns.resolve_concern(first, actor=staff["verifier"], dismissed=True)


# The public form --------------------------------------------------------------------------


def test_a_reader_reports_a_concern(client, published):
    response = report(client, published, **{"concern-contact_email": f" {CONTACT} "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appeals/{published.slug}?concern=sent#concern"
    assert "Set-Cookie" not in response.headers  # the appeal page stays cookie-free
    sent = client.get(response.headers["Location"])
    assert "Your report was sent." in sent.get_data(as_text=True)
    (stored,) = db.session.scalars(select(ConcernReport)).all()
    assert (stored.kind, stored.message, stored.contact_email) == (
        "personal_data",
        MESSAGE,
        CONTACT,
    )


BAD_REPORTS = [
    ({"concern-message": "short"}, "Use between 10 and 5000 characters"),
    ({"concern-message": "x" * 5001}, "Use between 10 and 5000 characters"),
    ({"concern-message": ""}, "Describe your concern."),
    ({"concern-kind": "whatever"}, "Choose what the concern is about."),
    ({"concern-contact_email": "not an address"}, "Enter a valid e-mail address"),
    ({"concern-contact_email": "a" * 300 + "@example.org"}, "at most 254 characters"),
]


def test_bad_input_is_a_400_with_a_message_and_no_row(client, published):
    for data, message in BAD_REPORTS:
        limiter.reset()  # the real limit would stop the sixth post of this test
        response = report(client, published, **data)
        assert response.status_code == 400, data
        page = page_text(response)
        assert message in page, data
        assert 'id="concern-message"' in page  # the form is shown again to correct
    assert report_count() == 0


def test_the_sixth_report_within_the_hour_is_refused(client, published):
    for _ in range(5):
        assert report(client, published).status_code == 303
    assert report(client, published).status_code == 429
    assert report_count() == 5


def test_unknown_and_unlisted_appeals(client, published, staff):
    assert client.post("/appeals/nosuchappeal/concern").status_code == 404
    assert client.get("/appeals/nosuchappeal/concern").status_code == 404
    assert client.get(f"/appeals/{published.slug}/concern").status_code == 200
    services.return_to_draft(published, actor=staff["admin"])
    db.session.commit()
    assert report(client, published).status_code == 410
    assert report_count() == 0


def test_the_concern_partial_is_accessible_and_free_of_inline_code(app, published):
    from flask import render_template_string

    from ngo.public.forms import ConcernForm

    with app.test_request_context(f"/appeals/{published.slug}?concern=sent"):
        html = render_template_string(
            '{% include "campaigns/_concern_form.html" %}',
            appeal=published,
            concern_form=ConcernForm(),
        )
    assert 'id="concern"' in html and "Your report was sent." in html
    for field in ("concern-kind", "concern-message", "concern-contact_email"):
        assert f'for="{field}"' in html and f'id="{field}"' in html
    assert "<script" not in html and "style=" not in html and " on" + "click" not in html


# The staff queue --------------------------------------------------------------------------


def test_staff_see_the_queue_decrypted_and_close_reports(client, published, staff):
    reported = concerns.report_concern(
        published, kind="fraud", message=MESSAGE, contact_email=CONTACT
    )
    db.session.commit()
    login(client, staff["caseworker"])
    assert 'href="/staff/concerns"' in page_text(client.get("/dashboard"))
    assert "1 open concern" in page_text(client.get("/dashboard"))
    page = page_text(client.get("/staff/concerns"))
    assert MESSAGE in page and CONTACT in page
    assert f"/staff/appeals/{published.slug}" in page
    assert "I think this appeal may be a fraud" in page

    response = client.post(f"/staff/concerns/{reported.reference}/dismiss")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ConcernReport, reported.id).status == "dismissed"
    assert MESSAGE not in page_text(client.get("/staff/concerns"))
    assert client.post(f"/staff/concerns/{reported.reference}/resolve").status_code == 400


def test_another_organisations_concern_is_not_found(client, staff, other_organisation_appeal):
    foreign = concerns.report_concern(other_organisation_appeal, kind="other", message=MESSAGE)
    db.session.commit()
    login(client, staff["admin"])
    assert MESSAGE not in page_text(client.get("/staff/concerns"))
    for action in ("resolve", "dismiss"):
        assert client.post(f"/staff/concerns/{foreign.reference}/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(ConcernReport, foreign.id).status == "open"


def test_who_handles_concerns(browser, published, make_user):
    reported = concerns.report_concern(published, kind="other", message=MESSAGE)
    db.session.commit()
    for role in ("treasurer", "funder", "verifier"):
        allowed = role == "verifier"
        client = browser()
        login(client, make_user(role))
        assert client.get("/staff/concerns").status_code == (200 if allowed else 403), role
        response = client.post(f"/staff/concerns/{reported.reference}/resolve")
        assert response.status_code == (302 if allowed else 403), role
        assert ('href="/staff/concerns"' in page_text(client.get("/dashboard"))) is allowed


def test_the_policy_names_who_posts_updates_and_handles_concerns():
    def roles(action):
        return {r.value for r in Role if action in policy.ROLE_PERMISSIONS[r]}

    assert roles(Action.POST_UPDATE) == {"admin", "caseworker"}
    assert roles(Action.HANDLE_CONCERNS) == {"admin", "verifier", "caseworker"}


def test_a_report_from_another_site_is_refused_even_without_fetch_metadata(client, published):
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
        response = client.post(
            f"/appeals/{published.slug}/concern",
            data={"concern-kind": "personal_data", "concern-message": MESSAGE},
            headers=headers,
        )
        assert response.status_code == 403
        assert "sent from another website" in response.get_data(as_text=True)
    assert report_count() == 0
    assert report(client, published).status_code == 303
