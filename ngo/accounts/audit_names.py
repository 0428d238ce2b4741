"""How the audit log names people (ngo/audit_reading.py): the staff user's display name."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ngo.accounts.models import Membership, User
from ngo.audit_reading import numeric_ids
from ngo.extensions import db


def user_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    """Names of the organisation's members, and of anyone else who acted in its log (a
    platform admin, a former member): the ids come from the organisation's own events."""
    del organisation_id  # the events asked about are already the organisation's
    rows = db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(numeric_ids(ids)))
    ).all()
    return {str(user_id): name for user_id, name in rows if name}


def member_choices(organisation_id: int) -> list[tuple[str, str]]:
    """The people of the organisation, for the audit log's filter by person."""
    rows = db.session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.display_name)
    ).all()
    return [(str(user_id), name) for user_id, name in rows]
