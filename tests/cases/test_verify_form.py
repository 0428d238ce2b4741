"""The verifier's form: each "passed" box beside its label, several documents per check as
checkboxes, and only the decisions that are possible."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ngo.cases import stories, verification
from ngo.cases.models import CheckKind, Verification, VerificationCheck
from ngo.extensions import db
from tests import factories
from tests.cases.test_stories import _client_for, _evidence, _submitted, _verify_data
from tests.conftest import login


def _people(make_user):
    return make_user("caseworker"), make_user("verifier")


def test_each_passed_box_has_its_own_label_and_evidence_is_checkboxes(
    browser, make_user, organisation
):
    caseworker, verifier = _people(make_user)
    case = factories.BeneficiaryFactory(organisation=organisation)
    _evidence(case, title="Verdict")
    _evidence(case, title="Release certificate")
    _submitted(case, caseworker)
    page = _client_for(browser, verifier).get(f"/cases/{case.reference}/story")
    html = page.get_data(as_text=True)
    for kind in CheckKind:
        assert re.search(
            rf'<input[^>]*id="{kind.value}-passed"[^>]*>\s*<label for="{kind.value}-passed">', html
        ), kind
        assert (
            len(
                re.findall(
                    rf'type="checkbox"[^>]*name="{kind.value}-evidence"|'
                    rf'name="{kind.value}-evidence"[^>]*type="checkbox"',
                    html,
                )
            )
            == 2
        )
    assert "Passed: Identity" in html
    assert not re.search(r'<select[^>]*name="identity-evidence"', html)
    assert 'name="approve"' in html and 'name="send_back"' in html


def test_without_evidence_only_returning_is_offered(browser, make_user, organisation):
    caseworker, verifier = _people(make_user)
    case = factories.BeneficiaryFactory(organisation=organisation)
    _submitted(case, caseworker)
    html = (
        _client_for(browser, verifier).get(f"/cases/{case.reference}/story").get_data(as_text=True)
    )
    assert 'name="send_back"' in html
    assert 'name="approve"' not in html
    assert "can only be returned" in html


def test_a_check_cites_several_documents(browser, make_user, organisation):
    caseworker, verifier = _people(make_user)
    case = factories.BeneficiaryFactory(organisation=organisation)
    verdict = _evidence(case, title="Verdict")
    release = _evidence(case, title="Release certificate")
    _submitted(case, caseworker)
    client = _client_for(browser, verifier)
    data = _verify_data(verdict.id)
    data["persecution-evidence"] = [str(verdict.id), str(release.id)]
    response = client.post(f"/cases/{case.reference}/story/versions/1/verify", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    checks = {c.check: c for c in db.session.scalars(select(VerificationCheck))}
    assert checks["persecution"].evidence_ids == [verdict.id, release.id]
    assert checks["identity"].evidence_ids == [verdict.id]
    version = client.get(f"/cases/{case.reference}/story/versions/1").get_data(as_text=True)
    assert "Verdict" in version and "Release certificate" in version


def test_a_foreign_document_among_several_is_refused_and_nothing_is_saved(
    browser, make_user, organisation
):
    caseworker, verifier = _people(make_user)
    case = factories.BeneficiaryFactory(organisation=organisation)
    verdict = _evidence(case, title="Verdict")
    foreign = _evidence(factories.BeneficiaryFactory(organisation=organisation), title="Other")
    _submitted(case, caseworker)
    client = _client_for(browser, verifier)
    data = _verify_data(verdict.id)
    data["budget-evidence"] = [str(verdict.id), str(foreign.id)]
    response = client.post(f"/cases/{case.reference}/story/versions/1/verify", data=data)
    assert response.status_code == 400
    assert "is not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


def test_a_caseworker_cannot_verify(client, make_user, organisation):
    caseworker, _verifier = _people(make_user)
    case = factories.BeneficiaryFactory(organisation=organisation)
    verdict = _evidence(case, title="Verdict")
    _submitted(case, caseworker)
    login(client, make_user("caseworker"))
    response = client.post(
        f"/cases/{case.reference}/story/versions/1/verify", data=_verify_data(verdict.id)
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


# Only the decisions the service would take --------------------------------------------------


def _story_page(client, case) -> str:
    return client.get(f"/cases/{case.reference}/story").get_data(as_text=True)


def test_the_author_is_offered_no_decision_and_a_colleague_both(browser, make_user, organisation):
    """An admin may verify, but not what they wrote: no Approve and no Return, the four-eyes
    reason instead; another verifier gets both."""
    writer, verifier = make_user("admin"), make_user("verifier")
    case = factories.BeneficiaryFactory(organisation=organisation)
    _evidence(case, title="Verdict")
    _submitted(case, writer)
    own = _story_page(_client_for(browser, writer), case)
    assert 'name="approve"' not in own and 'name="send_back"' not in own
    assert "You are its author: a second person has to approve it." in own
    theirs = _story_page(_client_for(browser, verifier), case)
    assert 'name="approve"' in theirs and 'name="send_back"' in theirs


def test_the_page_offers_approval_exactly_when_the_service_would_approve(
    browser, make_user, organisation
):
    """The rule is asked once (`verification.decision_refusals`): the page shows Approve when
    it finds nothing against it, and the service refuses, with the page's reason, when not."""
    caseworker, verifier = _people(make_user)
    bare = factories.BeneficiaryFactory(organisation=organisation)
    documented = factories.BeneficiaryFactory(organisation=organisation)
    verdict = _evidence(documented, title="Verdict")
    for case in (bare, documented):
        _submitted(case, caseworker)
    bare_version = stories.latest_version(stories.story_of(bare))
    refusals = verification.decision_refusals(bare_version, verifier)
    assert refusals.approve and refusals.send_back is None
    client = _client_for(browser, verifier)
    assert refusals.approve in _story_page(client, bare)
    # Approving anyway (a form from elsewhere) is refused with that reason; nothing is kept.
    response = client.post(
        f"/cases/{bare.reference}/story/versions/1/verify", data=_verify_data(verdict.id)
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0
    documented_version = stories.latest_version(stories.story_of(documented))
    assert verification.decision_refusals(documented_version, verifier).approve is None
    assert 'name="approve"' in _story_page(client, documented)


def test_four_eyes_look_back_to_the_last_approved_text_and_no_further(
    browser, make_user, organisation
):
    """The author of the approved text an edit builds on may not verify the edit; once a
    later text is approved, who wrote before it no longer counts (the same window the
    dashboard's SQL uses)."""
    first_writer, caseworker = make_user("admin"), make_user("caseworker")
    verifier = make_user("verifier")
    case = factories.BeneficiaryFactory(organisation=organisation)
    verdict = _evidence(case, title="Verdict")
    checks = [verification.CheckResult(kind, True, verdict.id) for kind in CheckKind]

    def approve(version):
        verification.verify_version(
            version, verifier=verifier, approved=True, checks=checks, comments=None
        )

    def edit(text: str):
        version = stories.edit_story(first.story, title="New", body=text, actor=caseworker)
        stories.submit_for_verification(version, actor=caseworker)
        db.session.commit()
        return version

    first = _submitted(case, first_writer)
    approve(first)
    second = edit("A new text.")
    writer = _client_for(browser, first_writer)
    assert 'name="approve"' not in _story_page(writer, case)
    approve(second)
    edit("A newer text.")
    page = _story_page(writer, case)
    assert 'name="approve"' in page and 'name="send_back"' in page
    assert 'name="approve"' not in _story_page(_client_for(browser, caseworker), case)
