"""Consent: recording, withdrawal, expiry, and the queries publication will use."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.cases import consent
from ngo.cases.errors import CaseError
from ngo.cases.models import (
    Consent,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
)
from ngo.extensions import db
from tests import factories
from tests.conftest import login

PUBLIC = ConsentAudience.PUBLIC_PAGE


@pytest.fixture
def case(organisation):
    return factories.BeneficiaryFactory(organisation=organisation)


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker")


def _verbal(case, caseworker, **kw):
    args = {
        "items": [ConsentItem.PUBLIC_NAME, ConsentItem.STORY],
        "audiences": [PUBLIC, ConsentAudience.DONOR_EMAILS],
        "given_on": date.today() - timedelta(days=2),
        "expires_on": None,
        "method": ConsentMethod.VERBAL_WITNESSED,
        "witness_name": "Hanna, volunteer",
        "form_evidence_id": None,
        "actor": caseworker,
    } | kw
    return consent.record_consent(case, **args)


def test_consent_per_item_and_audience(app, case, caseworker):
    rows = _verbal(case, caseworker)
    db.session.commit()
    assert len(rows) == 4
    assert consent.consented_items(case.id, PUBLIC) == {ConsentItem.PUBLIC_NAME, ConsentItem.STORY}
    assert consent.consented_items(case.id, ConsentAudience.FUNDER_REPORTS) == frozenset()
    assert consent.has_consent(case.id, ConsentItem.STORY, ConsentAudience.DONOR_EMAILS)
    assert not consent.has_consent(case.id, ConsentItem.CITY, PUBLIC)
    ids = db.session.scalars(consent.beneficiaries_consenting(ConsentItem.STORY, PUBLIC)).all()
    assert ids == [case.id]


def test_withdrawal_applies_at_once_and_is_audited(app, case, caseworker):
    rows = _verbal(case, caseworker)
    db.session.commit()
    story_public = next(r for r in rows if r.item == "story" and r.audience == PUBLIC.value)
    consent.withdraw_consent(story_public, actor=caseworker)
    db.session.commit()
    assert consent.consented_items(case.id, PUBLIC) == {ConsentItem.PUBLIC_NAME}
    assert (
        case.id
        not in db.session.scalars(consent.beneficiaries_consenting(ConsentItem.STORY, PUBLIC)).all()
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent.withdrawn")
    ).one()
    assert event.details == {"item": "story", "audience": "public_page"}


def test_expiry(app, case, caseworker):
    _verbal(
        case,
        caseworker,
        given_on=date.today() - timedelta(days=30),
        expires_on=date.today() - timedelta(days=1),
    )
    db.session.commit()
    assert consent.consented_items(case.id, PUBLIC) == frozenset()
    assert consent.consented_items(case.id, PUBLIC, on=date.today() - timedelta(days=5))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"witness_name": " "}, "witness_name"),
        ({"items": []}, "items"),
        ({"given_on": date.today() + timedelta(days=1)}, "given_on"),
        ({"expires_on": date.today() - timedelta(days=3)}, "expires_on"),
        ({"method": ConsentMethod.SIGNED_FORM}, "form_evidence_id"),
    ],
)
def test_invalid_consent_is_refused_whole(app, case, caseworker, change, field):
    with pytest.raises(CaseError) as info:
        _verbal(case, caseworker, **change)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.scalars(select(Consent)).all() == []


def test_signed_form_must_be_this_persons_consent_form(app, organisation, case, caseworker):
    other = factories.BeneficiaryFactory(organisation=organisation)
    foreign_form = EvidenceItem(
        beneficiary_id=other.id, organisation_id=organisation.id, kind="consent_form"
    )
    own_form = EvidenceItem(
        beneficiary_id=case.id, organisation_id=organisation.id, kind="consent_form"
    )
    db.session.add_all([foreign_form, own_form])
    db.session.commit()
    with pytest.raises(CaseError):
        _verbal(
            case,
            caseworker,
            method=ConsentMethod.SIGNED_FORM,
            witness_name=None,
            form_evidence_id=foreign_form.id,
        )
    rows = _verbal(
        case,
        caseworker,
        method=ConsentMethod.SIGNED_FORM,
        witness_name=None,
        form_evidence_id=own_form.id,
    )
    assert all(r.form_evidence_id == own_form.id for r in rows)


def test_consent_tab_records_and_withdraws(client, case, caseworker):
    login(client, caseworker)
    url = f"/cases/{case.reference}/consent"
    response = client.post(
        url,
        data={
            "items": ["public_name", "city"],
            "audiences": ["public_page"],
            "given_on": date.today().isoformat(),
            "method": "verbal_witnessed",
            "witness_name": "Hanna",
            "form_evidence_id": "",
        },
    )
    assert response.status_code == 302
    assert consent.consented_items(case.id, PUBLIC) == {ConsentItem.PUBLIC_NAME, ConsentItem.CITY}
    bad = client.post(
        url,
        data={
            "items": ["public_name"],
            "audiences": ["public_page"],
            "given_on": date.today().isoformat(),
            "method": "verbal_witnessed",
            "witness_name": "",
            "form_evidence_id": "",
        },
    )
    assert bad.status_code == 400
    assert "Name the witness" in bad.get_data(as_text=True)
    record = db.session.scalars(select(Consent).where(Consent.item == "city")).one()
    assert client.post(f"{url}/{record.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert consent.consented_items(case.id, PUBLIC) == {ConsentItem.PUBLIC_NAME}
    assert "withdrawn" in client.get(url).get_data(as_text=True)


def test_the_consent_tab_is_an_audited_view(client, case, caseworker):
    _verbal(case, caseworker)
    db.session.commit()
    login(client, caseworker)
    url = f"/cases/{case.reference}/consent"
    assert "Hanna, volunteer" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"items": ["city"], "method": "verbal_witnessed"})
    assert refused.status_code == 400 and "Hanna, volunteer" in refused.get_data(as_text=True)
    views = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "case.personal_data_viewed")
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.actor_id, e.object_id, e.details) for e in views] == [
        (caseworker.id, str(case.id), {"part": "consent"}),
        (caseworker.id, str(case.id), {"part": "consent"}),
    ]


def test_verifier_cannot_change_consent(client, case, make_user):
    login(client, make_user("verifier"))
    assert client.get(f"/cases/{case.reference}/consent").status_code == 200
    response = client.post(f"/cases/{case.reference}/consent", data={"items": ["city"]})
    assert response.status_code == 403
