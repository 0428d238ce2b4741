"""Stories: versions, verification by someone else (four eyes), expiry, diff and the pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ngo.accounts import policy
from ngo.audit import AuditEvent
from ngo.cases import listing, stories, story_diff
from ngo.cases.errors import CaseError
from ngo.cases.listing import CaseFilters
from ngo.cases.models import (
    Beneficiary,
    CheckKind,
    EvidenceItem,
    Story,
    StoryVersion,
    Verification,
    VerificationCheck,
    VersionStatus,
)
from ngo.cases.verification import (
    CheckResult,
    four_eyes_conflict,
    verification_refusal,
    verify_version,
)
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login
from tests.helpers import counted_statements

TITLE = "Arrested after the march"
BODY = "Ales was arrested in **August 2020** and sentenced to five years."
SECRET_COMMENT = "The verdict number does not match the copy in the file"
SECRET_NOTE = "passport seen in person, number checked"


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker")


@pytest.fixture
def verifier(make_user):
    return make_user("verifier")


@pytest.fixture
def case(organisation) -> Beneficiary:
    return factories.BeneficiaryFactory(organisation=organisation)


def _evidence(case: Beneficiary, **kwargs: object) -> EvidenceItem:
    item = EvidenceItem(
        beneficiary_id=case.id,
        organisation_id=case.organisation_id,
        kind="court_verdict",
        storage_key=None,
        **kwargs,
    )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def evidence(case) -> EvidenceItem:
    return _evidence(case, title="Verdict of the Minsk city court")


def _checks(evidence_id: int | None, **overrides: dict | None) -> list[CheckResult]:
    """All four checks passed with `evidence_id`; `overrides` replaces (or with None, drops)
    the check of that kind."""
    results = []
    for kind in CheckKind:
        if kind.value not in overrides:
            results.append(CheckResult(kind, True, evidence_id, SECRET_NOTE))
        elif overrides[kind.value] is not None:
            results.append(CheckResult(kind=kind, **overrides[kind.value]))
    return results


def _submitted(case, author, title=TITLE, body=BODY) -> StoryVersion:
    version = stories.start_story(case, title=title, body=body, actor=author)
    stories.submit_for_verification(version, actor=author)
    db.session.commit()
    return version


def _approve(version, verifier, evidence_id) -> Verification:
    verification = verify_version(
        version, verifier=verifier, approved=True, checks=_checks(evidence_id), comments=None
    )
    db.session.commit()
    return verification


# Versions ---------------------------------------------------------------------------------


def test_first_save_creates_the_story_and_a_draft(case, caseworker):
    version = stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)
    db.session.commit()
    assert version.number == 1
    assert version.status == VersionStatus.DRAFT.value
    assert version.author_id == caseworker.id
    assert version.story.beneficiary_id == case.id
    assert version.story.organisation_id == case.organisation_id
    assert db.session.scalar(select(func.count()).select_from(Story)) == 1


def test_author_edits_own_unsubmitted_draft_in_place(case, caseworker):
    version = stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)
    again = stories.start_story(case, title=TITLE, body=BODY + " More.", actor=caseworker)
    assert again is version
    assert version.body_markdown.endswith("More.")
    assert len(version.story.versions) == 1


def test_someone_elses_draft_is_not_overwritten(case, caseworker, make_user):
    first = stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)
    colleague = make_user("caseworker")
    second = stories.edit_story(first.story, title=TITLE, body=BODY + " Edit.", actor=colleague)
    assert second.number == 2
    assert second.author_id == colleague.id
    assert first.status == VersionStatus.SUPERSEDED.value
    assert first.body_markdown == BODY


def test_editing_a_submitted_version_creates_a_new_draft(case, caseworker):
    first = _submitted(case, caseworker)
    second = stories.edit_story(first.story, title=TITLE, body=BODY + " Edit.", actor=caseworker)
    assert (second.number, second.status) == (2, VersionStatus.DRAFT.value)
    # Only the latest text can be verified: the older one no longer waits for a decision.
    assert first.status == VersionStatus.SUPERSEDED.value
    with pytest.raises(CaseError):
        stories.submit_for_verification(first, actor=caseworker)


def test_unchanged_text_is_not_a_new_version(case, caseworker):
    first = _submitted(case, caseworker)
    with pytest.raises(CaseError):
        stories.edit_story(first.story, title=TITLE, body=BODY, actor=caseworker)


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", BODY, "title"),
        ("x" * 201, BODY, "title"),
        (TITLE, "", "body"),
        (TITLE, "   \n  ", "body"),
        (TITLE, "![](https://example.org/only-an-image.png)", "body"),
        (TITLE, "x" * 50_001, "body"),
    ],
)
def test_story_text_is_checked(case, caseworker, title, body, field):
    with pytest.raises(CaseError) as refused:
        stories.start_story(case, title=title, body=body, actor=caseworker)
    assert refused.value.field == field


def test_submit_only_drafts(case, caseworker):
    version = _submitted(case, caseworker)
    assert version.status == VersionStatus.SUBMITTED.value
    assert version.submitted_at is not None
    with pytest.raises(CaseError):
        stories.submit_for_verification(version, actor=caseworker)


def test_erased_case_cannot_get_a_story(case, caseworker):
    case.erased_at = utcnow()
    db.session.commit()
    with pytest.raises(CaseError):
        stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)


# Four eyes --------------------------------------------------------------------------------


def test_author_cannot_verify_own_version(case, admin, evidence):
    version = _submitted(case, admin)  # an administrator may both write and verify
    with pytest.raises(CaseError):
        verify_version(
            version, verifier=admin, approved=True, checks=_checks(evidence.id), comments=None
        )
    with pytest.raises(CaseError):
        verify_version(version, verifier=admin, approved=False, checks=[], comments="Looks odd")
    assert version.status == VersionStatus.SUBMITTED.value


def test_author_of_the_text_it_builds_on_cannot_verify(case, make_user, verifier, evidence):
    writer_admin = make_user("admin")
    other_admin = make_user("admin")
    caseworker = make_user("caseworker")
    first = _submitted(case, writer_admin)
    _approve(first, verifier, evidence.id)

    # A colleague edits the verified text: its original author would confirm their own claims.
    second = stories.edit_story(first.story, title=TITLE, body=BODY + " Edit.", actor=caseworker)
    stories.submit_for_verification(second, actor=caseworker)
    assert four_eyes_conflict(second, writer_admin)
    # The one four-eyes rule decides: the text built on counts as the verifier's own.
    reason = policy.four_eyes_refusal(writer_admin.id, authors=[writer_admin.id])
    assert verification_refusal(second, writer_admin) == reason
    with pytest.raises(CaseError, match=reason):
        verify_version(
            second,
            verifier=writer_admin,
            approved=True,
            checks=_checks(evidence.id),
            comments=None,
        )
    assert not four_eyes_conflict(second, other_admin)
    _approve(second, other_admin, evidence.id)

    # Once a newer text is verified by someone else, the chain starts again from it.
    third = stories.edit_story(first.story, title=TITLE, body=BODY + " Again.", actor=caseworker)
    stories.submit_for_verification(third, actor=caseworker)
    assert not four_eyes_conflict(third, writer_admin)
    assert four_eyes_conflict(third, caseworker)


def test_unverified_chain_counts_every_author(case, make_user, evidence):
    admin_writer = make_user("admin")
    caseworker = make_user("caseworker")
    first = stories.start_story(case, title=TITLE, body=BODY, actor=admin_writer)
    second = stories.edit_story(first.story, title=TITLE, body=BODY + " x", actor=caseworker)
    stories.submit_for_verification(second, actor=caseworker)
    assert four_eyes_conflict(second, admin_writer)


# Verification -----------------------------------------------------------------------------


def test_approval_makes_the_version_verified_for_a_year(app, case, caseworker, verifier, evidence):
    version = _submitted(case, caseworker)
    verification = _approve(version, verifier, evidence.id)
    assert version.status == VersionStatus.VERIFIED.value
    assert verification.approved is True
    assert verification.verifier_id == verifier.id
    days = app.config["VERIFICATION_VALID_DAYS"]
    assert abs(verification.expires_at - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)
    assert {c.check for c in verification.checks} == {k.value for k in CheckKind}
    assert all(c.evidence_item_id == evidence.id for c in verification.checks)
    assert stories.current_verified_version(case) is version


@pytest.mark.parametrize(
    "overrides",
    [
        {"budget": None},  # a check is missing
        {"identity": {"passed": False, "evidence_item_id": None}},
        {"persecution": {"passed": True, "evidence_item_id": None}},
    ],
)
def test_approval_needs_every_check_passed_with_evidence(
    case, caseworker, verifier, evidence, overrides
):
    version = _submitted(case, caseworker)
    with pytest.raises(CaseError):
        verify_version(
            version,
            verifier=verifier,
            approved=True,
            checks=_checks(evidence.id, **overrides),
            comments=None,
        )
    assert version.status == VersionStatus.SUBMITTED.value


def test_evidence_must_be_live_evidence_of_the_same_case(case, caseworker, verifier, organisation):
    version = _submitted(case, caseworker)
    other_case = factories.BeneficiaryFactory(organisation=organisation)
    other_org_case = factories.BeneficiaryFactory(organisation=factories.OrganisationFactory())
    destroyed = _evidence(case, destroyed_at=utcnow())
    for item in (_evidence(other_case), _evidence(other_org_case), destroyed):
        with pytest.raises(CaseError):
            verify_version(
                version, verifier=verifier, approved=True, checks=_checks(item.id), comments=None
            )
        # Not even a returned story may cite another person's documents.
        with pytest.raises(CaseError):
            verify_version(
                version,
                verifier=verifier,
                approved=False,
                checks=_checks(item.id),
                comments="Please fix",
            )
    assert version.status == VersionStatus.SUBMITTED.value
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


def test_return_needs_comments(case, caseworker, verifier):
    version = _submitted(case, caseworker)
    with pytest.raises(CaseError) as refused:
        verify_version(version, verifier=verifier, approved=False, checks=[], comments=" ")
    assert refused.value.field == "comments"
    decision = verify_version(
        version, verifier=verifier, approved=False, checks=[], comments=SECRET_COMMENT
    )
    assert version.status == VersionStatus.RETURNED.value
    assert decision.expires_at is None
    # A returned version can be sent again as it is (say, once evidence was added).
    stories.submit_for_verification(version, actor=caseworker)
    assert version.status == VersionStatus.SUBMITTED.value


def test_only_submitted_versions_are_verified(case, caseworker, verifier, evidence):
    version = stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)
    with pytest.raises(CaseError):
        verify_version(
            version, verifier=verifier, approved=True, checks=_checks(evidence.id), comments=None
        )


def test_editing_a_verified_story_keeps_the_verified_text_until_the_new_one_is_verified(
    case, caseworker, verifier, evidence
):
    first = _submitted(case, caseworker)
    _approve(first, verifier, evidence.id)
    second = stories.edit_story(
        first.story, title=TITLE, body=BODY + " Now in Poland.", actor=caseworker
    )
    db.session.commit()
    assert second.number == 2
    assert first.status == VersionStatus.VERIFIED.value
    assert stories.current_verified_version(case) is first
    flags = stories.story_flags(case)
    assert flags.has_unverified_version and not flags.reverification_due
    assert (
        case.id
        in db.session.scalars(
            stories.beneficiaries_with_unverified_story(case.organisation_id)
        ).all()
    )

    stories.submit_for_verification(second, actor=caseworker)
    _approve(second, verifier, evidence.id)
    assert first.status == VersionStatus.SUPERSEDED.value
    assert stories.current_verified_version(case) is second
    assert not stories.story_flags(case).has_unverified_version


# Expiry -----------------------------------------------------------------------------------


def test_expired_verification_is_due_again(case, caseworker, verifier, evidence, make_user):
    version = _submitted(case, caseworker)
    verification = _approve(version, verifier, evidence.id)
    unverified = stories.beneficiaries_with_unverified_story(case.organisation_id)
    assert case.id not in db.session.scalars(unverified).all()
    assert not stories.reverification_due(case)

    verification.expires_at = utcnow() + timedelta(days=10)
    db.session.commit()
    flags = stories.story_flags(case)
    assert flags.expires_soon and not flags.reverification_due

    verification.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert stories.reverification_due(case)
    assert stories.current_verified_version(case) is None
    assert stories.verified_version(case) is version
    assert (
        case.id
        in db.session.scalars(
            stories.beneficiaries_with_unverified_story(case.organisation_id)
        ).all()
    )
    rows, total = listing.list_cases(case.organisation_id, CaseFilters(has_unverified_story=True))
    assert [r.id for r in rows] == [case.id] and total == 1

    # The unchanged text is sent again as a new version; its author is not its verifier.
    again = stories.request_reverification(version.story, actor=caseworker)
    assert (again.number, again.status) == (2, VersionStatus.SUBMITTED.value)
    assert again.body_markdown == version.body_markdown
    assert four_eyes_conflict(again, caseworker)
    second_verifier = make_user("verifier")
    _approve(again, second_verifier, evidence.id)
    assert not stories.reverification_due(case)
    assert stories.current_verified_version(case) is again


def test_cases_without_story_or_of_other_organisations_are_not_listed(
    case, caseworker, organisation
):
    other_org = factories.OrganisationFactory()
    foreign = factories.BeneficiaryFactory(organisation=other_org)
    foreign_writer = factories.UserFactory(role="caseworker", organisation=other_org)
    stories.start_story(foreign, title=TITLE, body=BODY, actor=foreign_writer)
    db.session.commit()
    ids = db.session.scalars(stories.beneficiaries_with_unverified_story(organisation.id)).all()
    assert ids == []
    stories.start_story(case, title=TITLE, body=BODY, actor=caseworker)
    db.session.commit()
    assert db.session.scalars(
        stories.beneficiaries_with_unverified_story(organisation.id)
    ).all() == [case.id]


def test_story_flags_cost_at_most_two_queries(case, caseworker, verifier, evidence):
    first = _submitted(case, caseworker)
    _approve(first, verifier, evidence.id)
    stories.edit_story(first.story, title=TITLE, body=BODY + " x", actor=caseworker)
    db.session.commit()
    with counted_statements() as statements:
        flags = stories.story_flags(case)
    assert len(statements) <= 2
    assert flags.has_story and flags.latest_number == 2 and flags.has_unverified_version


def test_flags_without_story(case):
    flags = stories.story_flags(case)
    assert not flags.has_story
    assert not flags.reverification_due and not flags.has_unverified_version


# Diff -------------------------------------------------------------------------------------


def test_diff_marks_inserted_and_deleted_words(case, caseworker):
    first = stories.start_story(
        case, title=TITLE, body="He lives in Minsk.\n\nHe needs rent.", actor=caseworker
    )
    stories.submit_for_verification(first, actor=caseworker)
    second = stories.edit_story(
        first.story,
        title=TITLE,
        body="He lives in Warsaw.\n\nHe needs rent.\n\nAnd a course.",
        actor=caseworker,
    )
    rows = story_diff.diff_versions(first, second)
    changed = [r for r in rows if r.kind == "change"]
    assert len(changed) == 1
    ops = {(s.op, s.text) for s in changed[0].segments}
    assert ("delete", "Minsk.") in ops and ("insert", "Warsaw.") in ops
    assert any(r.kind == "insert" and r.segments[0].text == "And a course." for r in rows)
    assert any(r.kind == "equal" and r.segments[0].text == "He needs rent." for r in rows)


# Audit ------------------------------------------------------------------------------------


def test_audit_details_never_hold_story_text(case, caseworker, verifier, evidence):
    first = _submitted(case, caseworker)
    verify_version(first, verifier=verifier, approved=False, checks=[], comments=SECRET_COMMENT)
    stories.submit_for_verification(first, actor=caseworker)
    _approve(first, verifier, evidence.id)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("story.%")).order_by(AuditEvent.seq)
    ).all()
    actions = [e.action for e in events]
    assert actions == [
        "story.version_created",
        "story.submitted",
        "story.returned",
        "story.submitted",
        "story.verified",
    ]
    for e in events:
        assert e.details == {"version": 1}
        assert e.object_type == "case" and e.object_id == str(case.id)
        dumped = json.dumps(e.details)
        for secret in (TITLE, BODY, SECRET_COMMENT, SECRET_NOTE, "Ales", "Minsk"):
            assert secret not in dumped


# Pages ------------------------------------------------------------------------------------


def _client_for(browser, user):
    client = browser()
    login(client, user)
    return client


def _verify_data(evidence_id: int | str, *, approve: bool = True, **extra: str) -> dict:
    data: dict[str, str] = {"comments": ""}
    for kind in CheckKind:
        data[f"{kind.value}-passed"] = "y"
        data[f"{kind.value}-evidence"] = str(evidence_id)
        data[f"{kind.value}-note"] = SECRET_NOTE
    data["approve" if approve else "send_back"] = "1"
    data.update(extra)
    # Evidence is a list of checkboxes: with none ticked the browser sends nothing for it.
    return {k: v for k, v in data.items() if not (k.endswith("-evidence") and v == "")}


def test_caseworker_writes_and_submits_through_the_page(browser, case, caseworker):
    cw = _client_for(browser, caseworker)
    page = cw.get(f"/cases/{case.reference}/story")
    assert page.status_code == 200
    assert "Write the story" in page.get_data(as_text=True)

    response = cw.post(f"/cases/{case.reference}/story", data={"title": TITLE, "body": BODY})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.reference}/story"
    html = cw.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert "<strong>August 2020</strong>" in html
    assert "No version of this story has been verified yet." in html

    response = cw.post(f"/cases/{case.reference}/story/versions/1/submit")
    assert response.status_code == 302
    version = db.session.scalars(select(StoryVersion)).one()
    assert version.status == VersionStatus.SUBMITTED.value

    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).all()
    assert views and all(e.details == {"part": "story"} for e in views)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": BODY}, "Give the story a title."),
        ({"title": TITLE, "body": ""}, "Write the story."),
        ({"title": TITLE, "body": "![](https://example.org/x.png)"}, "no visible text"),
        ({"title": TITLE, "body": "x" * 50_001}, "too long"),
    ],
)
def test_bad_story_input_is_refused_and_nothing_stored(browser, case, caseworker, data, message):
    cw = _client_for(browser, caseworker)
    response = cw.post(f"/cases/{case.reference}/story", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StoryVersion)) == 0
    assert db.session.scalar(select(func.count()).select_from(Story)) == 0


def test_script_in_a_story_is_stored_but_harmless(browser, case, caseworker):
    body = 'Before <script>alert("x")</script> [link](javascript:alert(1)) after'
    cw = _client_for(browser, caseworker)
    assert (
        cw.post(f"/cases/{case.reference}/story", data={"title": TITLE, "body": body}).status_code
        == 302
    )
    assert db.session.scalars(select(StoryVersion)).one().body_markdown == body
    for url in (f"/cases/{case.reference}/story", f"/cases/{case.reference}/story/versions/1"):
        html = cw.get(url).get_data(as_text=True)
        assert "&lt;script&gt;" in html
        assert '<script>alert("x")' not in html
        assert 'href="javascript:' not in html


def test_verifier_approves_through_the_page(browser, case, caseworker, verifier, evidence):
    _submitted(case, caseworker)
    vc = _client_for(browser, verifier)
    page = vc.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert 'name="identity-evidence"' in page and "Verdict of the Minsk city court" in page

    response = vc.post(
        f"/cases/{case.reference}/story/versions/1/verify", data=_verify_data(evidence.id)
    )
    assert response.status_code == 302
    version = db.session.scalars(select(StoryVersion)).one()
    db.session.refresh(version)
    assert version.status == VersionStatus.VERIFIED.value
    notes = db.session.scalars(select(VerificationCheck.note)).all()
    assert notes == [SECRET_NOTE] * 4

    html = vc.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert "Version 1 is verified" in html
    assert verifier.display_name in html
    assert "Valid until" in html


def test_approval_without_evidence_is_refused_by_the_page(
    browser, case, caseworker, verifier, evidence, organisation
):
    _submitted(case, caseworker)
    vc = _client_for(browser, verifier)
    url = f"/cases/{case.reference}/story/versions/1/verify"
    response = vc.post(url, data=_verify_data(evidence.id, **{"budget-evidence": ""}))
    assert response.status_code == 400
    assert "link each check to the evidence" in response.get_data(as_text=True)
    # Evidence of another case is not even a choice.
    foreign = _evidence(factories.BeneficiaryFactory(organisation=organisation))
    response = vc.post(url, data=_verify_data(foreign.id))
    assert response.status_code == 400
    assert "is not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


def test_return_through_the_page_needs_comments(browser, case, caseworker, verifier, evidence):
    _submitted(case, caseworker)
    vc = _client_for(browser, verifier)
    url = f"/cases/{case.reference}/story/versions/1/verify"
    response = vc.post(url, data=_verify_data("", approve=False))
    assert response.status_code == 400
    assert "Say what needs to change" in response.get_data(as_text=True)
    response = vc.post(url, data=_verify_data("", approve=False, comments=SECRET_COMMENT))
    assert response.status_code == 302
    cw = _client_for(browser, caseworker)
    html = cw.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert SECRET_COMMENT in html
    assert "returned for changes" in html


def test_author_cannot_verify_through_the_page(browser, case, admin, evidence):
    _submitted(case, admin)
    ac = _client_for(browser, admin)
    html = ac.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert "You are its author: a second person has to approve it." in html
    assert 'name="identity-evidence"' not in html
    response = ac.post(
        f"/cases/{case.reference}/story/versions/1/verify", data=_verify_data(evidence.id)
    )
    assert response.status_code in (400, 403)
    assert "You are its author: a second person has to approve it." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


def test_roles(browser, case, caseworker, verifier, evidence, make_user):
    vc = _client_for(browser, verifier)
    response = vc.post(f"/cases/{case.reference}/story", data={"title": TITLE, "body": BODY})
    assert response.status_code == 403
    html = vc.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert 'name="body"' not in html

    _submitted(case, caseworker)
    assert vc.post(f"/cases/{case.reference}/story/versions/1/submit").status_code == 403
    cw = _client_for(browser, caseworker)
    response = cw.post(
        f"/cases/{case.reference}/story/versions/1/verify", data=_verify_data(evidence.id)
    )
    assert response.status_code == 403
    assert 'name="identity-evidence"' not in cw.get(f"/cases/{case.reference}/story").get_data(
        as_text=True
    )
    treasurer = make_user("treasurer")
    assert _client_for(browser, treasurer).get(f"/cases/{case.reference}/story").status_code == 403


def test_other_organisation_gets_404(browser, case, caseworker, evidence):
    _submitted(case, caseworker)
    outsider_org = factories.OrganisationFactory()
    outsider = factories.UserFactory(role="admin", organisation=outsider_org)
    oc = _client_for(browser, outsider)
    base = f"/cases/{case.reference}/story"
    for url in (base, f"{base}/versions/1", f"{base}/diff?from=1&to=1"):
        assert oc.get(url).status_code == 404
    assert oc.post(base, data={"title": TITLE, "body": BODY}).status_code == 404
    assert oc.post(f"{base}/versions/1/submit").status_code == 404
    assert oc.post(f"{base}/versions/1/verify", data=_verify_data(evidence.id)).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(StoryVersion)) == 1


def test_version_and_diff_pages(browser, case, caseworker):
    first = stories.start_story(
        case, title=TITLE, body="He lives in Minsk.\n\n<b>bold</b> stays", actor=caseworker
    )
    stories.submit_for_verification(first, actor=caseworker)
    stories.edit_story(
        first.story,
        title=TITLE,
        body="He lives in Warsaw.\n\n<b>bold</b> stays <i>new</i>",
        actor=caseworker,
    )
    db.session.commit()
    cw = _client_for(browser, caseworker)
    base = f"/cases/{case.reference}/story"

    page = cw.get(f"{base}/versions/1")
    assert page.status_code == 200
    assert "Minsk" in page.get_data(as_text=True)
    assert cw.get(f"{base}/versions/7").status_code == 404

    html = cw.get(f"{base}/diff?from=1&to=2").get_data(as_text=True)
    assert "<del>Minsk.</del>" in html and "<ins>Warsaw.</ins>" in html
    assert "&lt;i&gt;new&lt;/i&gt;</ins>" in html
    assert "<b>bold</b>" not in html and "<i>new</i>" not in html

    for query, status, message in [
        ("from=abc&to=2", 400, "Choose two versions to compare"),
        ("to=2", 400, "Choose two versions to compare"),
        ("from=2&to=2", 400, "Choose two different versions"),
        ("from=1&to=9", 404, "There is no version 9"),
    ]:
        response = cw.get(f"{base}/diff?{query}")
        assert response.status_code == status, query
        assert message in response.get_data(as_text=True)


def test_due_for_reverification_shows_on_the_case(browser, case, caseworker, verifier, evidence):
    version = _submitted(case, caseworker)
    verification = _approve(version, verifier, evidence.id)
    verification.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    cw = _client_for(browser, caseworker)
    html = cw.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    assert "Story due for re-verification" in html
    assert "Send for verification again" in html
    response = cw.post(f"/cases/{case.reference}/story/reverify")
    assert response.status_code == 302
    versions = db.session.scalars(select(StoryVersion).order_by(StoryVersion.number)).all()
    assert [v.status for v in versions] == ["verified", "submitted"]
