"""The factories make what the services would: they go through them, so these only check that
each factory's result is the state its name promises."""

from __future__ import annotations

from ngo.cases.models import ConsentItem
from ngo.cases.stories import current_verified_version
from ngo.extensions import db
from tests import factories


def test_the_seed_case_is_ready_for_an_appeal_that_passes_the_gate(organisation, make_user):
    caseworker, verifier, admin = make_user(), make_user("verifier"), make_user("admin")
    case = factories.seed_case(organisation, caseworker, verifier)
    assert case.legal_name == "Аляксандр Кавалёў"
    assert current_verified_version(case) is not None
    appeal = factories.AppealFactory(beneficiary=case, actor=caseworker, published_by=admin)
    db.session.commit()
    assert appeal.listed
    update = factories.AppealUpdateFactory(appeal=appeal, actor=caseworker, approved_by=admin)
    db.session.commit()
    assert update.state == "published"


def test_evidence_and_consent_factories(organisation, make_user):
    caseworker, verifier = make_user(), make_user("verifier")
    case = factories.BeneficiaryFactory(organisation=organisation)
    item = factories.EvidenceFactory(beneficiary=case, actor=caseworker, checked_by=verifier)
    assert item.content_type == "application/pdf" and item.checked_by_id == verifier.id
    rows = factories.ConsentFactory(beneficiary=case, actor=caseworker, items=[ConsentItem.CITY])
    assert {row.item for row in rows} == {"city"} and len(rows) == 3  # one per audience
