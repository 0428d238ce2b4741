"""How the audit log names a case (ngo/audit_reading.py): its public name, else its
reference. Never the legal name: the log is read by admins for who did what, not to see who
the person is, and showing it would itself be a view of personal data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ngo.audit_reading import numeric_ids
from ngo.cases.models import Beneficiary
from ngo.extensions import db


def case_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(
            Beneficiary.id, Beneficiary.reference, Beneficiary.public_name, Beneficiary.erased_at
        ).where(
            Beneficiary.organisation_id == organisation_id, Beneficiary.id.in_(numeric_ids(ids))
        )
    ).all()
    return {
        str(case_id): reference if erased_at is not None or not public_name else public_name
        for case_id, reference, public_name, erased_at in rows
    }


def find_case(reference: str, organisation_id: int) -> str | None:
    case_id = db.session.scalar(
        select(Beneficiary.id).where(
            Beneficiary.organisation_id == organisation_id,
            Beneficiary.reference == reference,
        )
    )
    return None if case_id is None else str(case_id)
