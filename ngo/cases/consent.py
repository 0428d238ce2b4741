"""Consent: recording, withdrawal, and the queries every later publication must use.

Nothing about a person may reach an audience unless `consented_items` says so on that day.
A withdrawal takes effect at once, because publishers ask these functions at render and send
time rather than copying the answer.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, or_, select

from ngo import audit
from ngo.accounts.models import User
from ngo.cases.errors import CaseError, refuse_erased
from ngo.cases.models import (
    Beneficiary,
    Consent,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
)
from ngo.extensions import db
from ngo.timeutil import utcnow


def record_consent(
    beneficiary: Beneficiary,
    *,
    items: list[ConsentItem],
    audiences: list[ConsentAudience],
    given_on: date,
    expires_on: date | None,
    method: ConsentMethod,
    witness_name: str | None,
    form_evidence_id: int | None,
    actor: User,
) -> list[Consent]:
    """One consent row per item and audience, all obtained the same way on the same day."""
    refuse_erased(beneficiary)
    if not items or not audiences:
        raise CaseError(_l("Choose at least one item and one audience."), field="items")
    if given_on > date.today():
        raise CaseError(_l("Consent cannot be given in the future."), field="given_on")
    if expires_on is not None and expires_on <= given_on:
        raise CaseError(
            _l("The expiry must come after the day consent was given."), field="expires_on"
        )
    if method is ConsentMethod.VERBAL_WITNESSED and not (witness_name or "").strip():
        raise CaseError(_l("Name the witness of verbal consent."), field="witness_name")
    if method is ConsentMethod.SIGNED_FORM:
        form = db.session.get(EvidenceItem, form_evidence_id) if form_evidence_id else None
        if (
            form is None
            or form.beneficiary_id != beneficiary.id
            or form.kind != EvidenceKind.CONSENT_FORM.value
            or form.destroyed_at is not None
        ):
            raise CaseError(
                _l("Choose the uploaded signed consent form of this person."),
                field="form_evidence_id",
            )
    consents = [
        Consent(
            beneficiary_id=beneficiary.id,
            item=item.value,
            audience=audience.value,
            given_on=given_on,
            expires_on=expires_on,
            method=method.value,
            witness_name=(witness_name or "").strip() or None,
            form_evidence_id=form_evidence_id if method is ConsentMethod.SIGNED_FORM else None,
            recorded_by_id=actor.id,
        )
        for item in items
        for audience in audiences
    ]
    db.session.add_all(consents)
    db.session.flush()
    audit.record_change(
        beneficiary,
        actor,
        "consent.recorded",
        items=sorted(i.value for i in items),
        audiences=sorted(a.value for a in audiences),
        method=method.value,
    )
    return consents


def withdraw_consent(consent: Consent, *, actor: User) -> None:
    if consent.withdrawn_at is not None:
        return
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by_id = actor.id
    audit.record_change(
        consent.beneficiary,
        actor,
        "consent.withdrawn",
        item=consent.item,
        audience=consent.audience,
    )


def _in_force(on: date) -> tuple[ColumnElement[bool], ...]:
    return (
        Consent.withdrawn_at.is_(None),
        Consent.given_on <= on,
        or_(Consent.expires_on.is_(None), Consent.expires_on >= on),
    )


def consented_items(
    beneficiary_id: int, audience: ConsentAudience, on: date | None = None
) -> frozenset[ConsentItem]:
    """The items of this person that this audience may see today (or on `on`)."""
    on = on or date.today()
    rows = db.session.scalars(
        select(Consent.item).where(
            Consent.beneficiary_id == beneficiary_id,
            Consent.audience == audience.value,
            *_in_force(on),
        )
    )
    return frozenset(ConsentItem(item) for item in rows)


def has_consent(
    beneficiary_id: int, item: ConsentItem, audience: ConsentAudience, on: date | None = None
) -> bool:
    return item in consented_items(beneficiary_id, audience, on)


def beneficiaries_consenting(
    item: ConsentItem, audience: ConsentAudience, on: date | None = None
) -> Select[int]:
    """A subquery of beneficiary ids with that consent in force: for publishing many at once."""
    on = on or date.today()
    return select(Consent.beneficiary_id).where(
        Consent.item == item.value, Consent.audience == audience.value, *_in_force(on)
    )


def consent_history(beneficiary_id: int) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.beneficiary_id == beneficiary_id)
            .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        )
    )
