"""Loading a case for the signed-in staff member: the organisation scope and the policy, for
the views of cases and of the domains above it (which must not import cases' views)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ngo.accounts import policy
from ngo.accounts.access import current_membership
from ngo.accounts.policy import Action
from ngo.cases.models import Beneficiary
from ngo.extensions import db

__all__ = ["find_case", "load_case"]


def find_case(reference: str) -> Beneficiary | None:
    """The case with this reference in the acting organisation, or None."""
    membership = current_membership()
    if membership is None or len(reference) > 32:
        return None
    return db.session.scalars(
        policy.scope(
            select(Beneficiary).where(Beneficiary.reference == reference),
            membership,
            Beneficiary.organisation_id,
        )
    ).first()


def load_case(reference: str, action: Action = Action.VIEW_CASES) -> Beneficiary:
    """The case with this reference in the acting organisation: 404 if it is another
    organisation's (or does not exist), 403 if the role may not do `action`."""
    beneficiary = find_case(reference)
    if beneficiary is None:
        abort(404)
    if not policy.may(current_membership(), action, beneficiary):
        abort(403)
    return beneficiary
