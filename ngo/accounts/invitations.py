"""Invitations: an admin invites an address into the organisation with a role; the e-mailed
link (accounts/tokens.py) lets a new person choose a password, or someone with an account join
with it. Operations flush; the caller commits."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit, outbox, signals
from ngo.accounts import passwords
from ngo.accounts.models import Invitation, Membership, Organisation, Role, User
from ngo.accounts.services import (
    AccountError,
    check_new_password,
    find_user_by_email,
    normalise_email,
)
from ngo.accounts.tokens import load_link_record, make_link_token, new_nonce
from ngo.extensions import db
from ngo.timeutil import utcnow

INVITATION_LINK = "invitation"


def invite_user(
    organisation: Organisation, email: str, role: Role, *, locale: str, actor: User
) -> Invitation:
    email = normalise_email(email)
    already_member = db.session.scalar(
        select(Membership.id)
        .join(User)
        .where(User.email == email, Membership.organisation_id == organisation.id)
    )
    if already_member:
        # Said to the admin at the address they typed; like every rule message it does not
        # repeat the address itself (rules.RuleError).
        raise AccountError(
            _l(
                "The person with this e-mail address is already a member of %(org)s.",
                org=organisation.name,
            ),
            field="email",
        )
    ttl = timedelta(hours=int(current_app.config["INVITATION_TTL_HOURS"]))
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role.value,
        locale=locale,
        invited_by_id=actor.id,
        nonce=new_nonce(),
        expires_at=utcnow() + ttl,
    )
    db.session.add(invitation)
    db.session.flush()
    outbox.enqueue(
        "accounts.invitation_email",
        {"invitation_id": invitation.id},
        organisation_id=invitation.organisation_id,
    )
    audit.record_change(invitation, actor, "invitation.sent", role=role.value)
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return make_link_token(INVITATION_LINK, invitation.id, invitation.nonce)


def load_invitation(token: str) -> Invitation:
    return load_link_record(Invitation, INVITATION_LINK, token)


def accept_invitation(invitation: Invitation, *, display_name: str, password: str) -> User:
    """A person new to ngo accepts: they choose a password and become a member."""
    if find_user_by_email(invitation.email) is not None:
        raise AccountError(_l("You already have an account: enter its current password."))
    check_new_password(password, invitation.email)
    user = User(
        email=invitation.email,
        display_name=display_name.strip() or invitation.email.split("@")[0],
        password_hash=passwords.hash_password(password),
        locale=invitation.locale,
    )
    db.session.add(user)
    _join(invitation, user)
    return user


def accept_invitation_with_account(invitation: Invitation, user: User) -> None:
    """Someone who already has an account (and has just confirmed its password) joins."""
    if user.email != invitation.email:
        raise AccountError(_l("This invitation is for another e-mail address."))
    if any(m.organisation_id == invitation.organisation_id for m in user.memberships):
        # A second invitation to the same organisation, sent before the first was accepted;
        # said to the invitee.
        raise AccountError(
            _l("You are already a member of %(org)s.", org=invitation.organisation.name)
        )
    _join(invitation, user)


def _join(invitation: Invitation, user: User) -> None:
    user.memberships.append(
        Membership(organisation_id=invitation.organisation_id, role=invitation.role)
    )
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record_change(invitation, user, "invitation.accepted", role=invitation.role)
    signals.invitation_accepted.send(invitation, user=user)


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = utcnow()
    audit.record_change(invitation, actor, "invitation.revoked")
