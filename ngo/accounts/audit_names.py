"""How the audit log names people and the accounts domain's records (ngo/audit_reading.py):
the staff user's display name, the organisation's name, an invitation by the role it offers
(never the invitee's address)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit_reading
from ngo.accounts.forms import ROLE_LABELS
from ngo.accounts.models import Invitation, Membership, Organisation, Role, User
from ngo.audit_reading import ObjectType, numeric_ids
from ngo.extensions import db


def user_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    """Names of the organisation's members, and of anyone else who acted in its log (a
    platform admin, a former member): the ids come from the organisation's own events."""
    del organisation_id  # the events asked about are already the organisation's
    rows = db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(numeric_ids(ids)))
    ).all()
    return {str(user_id): name for user_id, name in rows if name}


def organisation_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    """Only the organisation itself: its log never names another."""
    name = db.session.scalar(select(Organisation.name).where(Organisation.id == organisation_id))
    return {str(organisation_id): name} if name and str(organisation_id) in ids else {}


def invitation_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(Invitation.id, Invitation.role).where(
            Invitation.organisation_id == organisation_id, Invitation.id.in_(numeric_ids(ids))
        )
    )
    return {
        str(invitation_id): _(
            "an invitation to join as %(role)s", role=ROLE_LABELS.get(Role(role), role)
        )
        for invitation_id, role in rows
    }


OBJECT_TYPES = (
    ObjectType("user", names=user_names),
    ObjectType("organisation", names=organisation_names, label=_l("the organisation")),
    ObjectType("invitation", names=invitation_names, label=_l("an invitation")),
    ObjectType("outbox_message", label=_l("a piece of background work")),
)


def register(app: Flask) -> None:
    audit_reading.register_object_types(app, OBJECT_TYPES)


def member_choices(organisation_id: int) -> list[tuple[str, str]]:
    """The people of the organisation, for the audit log's filter by person."""
    rows = db.session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.display_name)
    ).all()
    return [(str(user_id), name) for user_id, name in rows]
