"""The verifier's form: each "passed" box beside its label, several documents per check as
checkboxes, and only the decisions that are possible."""

from __future__ import annotations

import re

from sqlalchemy import func, select

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
