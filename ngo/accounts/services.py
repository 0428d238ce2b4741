"""Account operations. Each takes the acting user as an argument, changes state, writes the audit
log and flushes; the caller (view, CLI command, task) commits."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ngo import audit, outbox
from ngo.accounts import passwords, policy, two_factor
from ngo.accounts.models import Invitation, Membership, Organisation, PasswordReset, Role, User
from ngo.accounts.tokens import LinkError, LinkProblem, make_link_token, new_nonce, nonce_matches
from ngo.accounts.tokens import read_link_token as _read
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow

LinkRecord = TypeVar("LinkRecord", Invitation, PasswordReset)

INVITATION_LINK = "invitation"
RESET_LINK = "password-reset"


class AccountError(RuleError):
    """A rule of accounts was broken."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str, email: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError(
            _l("Use at least %(n)d characters for the password.", n=passwords.MIN_LENGTH),
            field="password",
        )
    if len(password) > passwords.MAX_LENGTH:
        raise AccountError(
            _l("Use at most %(n)d characters for the password.", n=passwords.MAX_LENGTH),
            field="password",
        )
    if password.strip().lower() == normalise_email(email):
        raise AccountError(_l("The password must not be your e-mail address."), field="password")


def home_organisation_id(user: User) -> int | None:
    """Where events about the user themselves are filed, so their admins see them."""
    return min((m.organisation_id for m in user.memberships), default=None)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


# Organisations -----------------------------------------------------------------------------


def create_organisation(name: str, *, actor: User | None) -> Organisation:
    name = " ".join(name.split())
    if not name:
        raise AccountError(_l("Give the organisation a name."))
    exists = db.session.scalar(
        select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    )
    if exists:
        raise AccountError(_l("An organisation with this name already exists."))
    organisation = Organisation(name=name)
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        "organisation.created",
        actor_id=actor.id if actor else None,
        organisation_id=organisation.id,
        object_type="organisation",
        object_id=organisation.id,
    )
    return organisation


def rename_organisation(organisation: Organisation, name: str, *, actor: User) -> None:
    name = " ".join(name.split())
    clash = db.session.scalar(
        select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != organisation.id
        )
    )
    if clash:
        raise AccountError(_l("An organisation with this name already exists."))
    organisation.name = name
    audit.record(
        "organisation.renamed",
        actor_id=actor.id,
        organisation_id=organisation.id,
        object_type="organisation",
        object_id=organisation.id,
    )


# Users and memberships -----------------------------------------------------------------------


def create_user(
    email: str,
    password: str,
    *,
    display_name: str,
    organisation: Organisation,
    role: Role,
    actor: User | None,
    is_platform_admin: bool = False,
    is_demo: bool = False,
) -> User:
    email = normalise_email(email)
    if find_user_by_email(email):
        raise AccountError(_l("A user with this e-mail address already exists."))
    check_new_password(password, email)
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@")[0],
        password_hash=passwords.hash_password(password),
        is_platform_admin=is_platform_admin,
        is_demo=is_demo,
    )
    user.memberships.append(Membership(organisation=organisation, role=role.value))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        actor_id=actor.id if actor else None,
        organisation_id=organisation.id,
        object_type="user",
        object_id=user.id,
        details={"role": role.value, "platform_admin": is_platform_admin},
    )
    return user


def change_role(membership: Membership, role: Role, *, actor: User) -> None:
    if membership.role == role.value:
        return
    _refuse_removing_last_admin(membership, new_role=role)
    previous = membership.role
    membership.role = role.value
    membership.user.session_version += 1
    audit.record(
        "membership.role_changed",
        actor_id=actor.id,
        organisation_id=membership.organisation_id,
        object_type="user",
        object_id=membership.user_id,
        details={"from": previous, "to": role.value},
    )


def remove_membership(membership: Membership, *, actor: User) -> None:
    if membership.user_id == actor.id:
        raise AccountError(_l("You cannot remove yourself from the organisation."))
    _refuse_removing_last_admin(membership, new_role=None)
    membership.user.session_version += 1
    db.session.delete(membership)
    audit.record(
        "membership.removed",
        actor_id=actor.id,
        organisation_id=membership.organisation_id,
        object_type="user",
        object_id=membership.user_id,
    )


def _refuse_removing_last_admin(membership: Membership, *, new_role: Role | None) -> None:
    """Refuse leaving the organisation with no administrator who can act."""
    if membership.role != Role.ADMIN.value or new_role == Role.ADMIN or membership.is_suspended:
        return
    admins = db.session.execute(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == membership.organisation_id,
            Membership.role == Role.ADMIN.value,
            Membership.suspended_at.is_(None),
        )
    ).scalar_one()
    if admins <= 1:
        raise AccountError(_l("The organisation must keep at least one administrator."))


def _refuse_account_action(actor: User | None, user: User) -> None:
    reason = policy.account_action_refusal(actor, user)
    if reason is not None:
        raise AccountError(reason)


def lock_user(user: User, *, actor: User | None, organisation_id: int | None, reason: str) -> None:
    """A deliberate lock of the whole account, lifted only by unlock_user. `actor` None is the
    deployment's operator (the CLI); an admin needs policy.account_action_refusal's consent."""
    _refuse_account_action(actor, user)
    if user.locked_at is not None:
        return
    user.locked_at = utcnow()
    user.session_version += 1
    audit.record(
        "user.locked",
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id or home_organisation_id(user),
        object_type="user",
        object_id=user.id,
        details={"reason": reason},
    )


def unlock_user(user: User, *, actor: User | None, organisation_id: int | None) -> None:
    """Lift a deliberate lock and any sign-in pause, and start the count of failures again."""
    _refuse_account_action(actor, user)
    if user.locked_at is None and user.locked_until is None and user.failed_logins == 0:
        return
    user.locked_at = None
    user.locked_until = None
    user.failed_logins = 0
    audit.record(
        "user.unlocked",
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id or home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )


def reset_second_factor(user: User, *, actor: User | None, organisation_id: int | None) -> None:
    """Help for a user who lost both phone and recovery codes: they enrol again at sign-in."""
    _refuse_account_action(actor, user)
    two_factor.disable(user)
    user.session_version += 1
    audit.record(
        "user.second_factor_reset",
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id or home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )


def suspend_membership(membership: Membership, *, actor: User) -> None:
    """What an admin can do to any member of their own organisation, whatever other
    organisations the account belongs to: the membership stays but cannot act."""
    if membership.user_id == actor.id:
        raise AccountError(_l("You cannot suspend your own membership."))
    if membership.is_suspended:
        return
    _refuse_removing_last_admin(membership, new_role=None)
    membership.suspended_at = utcnow()
    audit.record(
        "membership.suspended",
        actor_id=actor.id,
        organisation_id=membership.organisation_id,
        object_type="user",
        object_id=membership.user_id,
    )


def reinstate_membership(membership: Membership, *, actor: User) -> None:
    if not membership.is_suspended:
        return
    membership.suspended_at = None
    audit.record(
        "membership.reinstated",
        actor_id=actor.id,
        organisation_id=membership.organisation_id,
        object_type="user",
        object_id=membership.user_id,
    )


# Passwords ---------------------------------------------------------------------------------


def change_password(user: User, new: str) -> None:
    """For a user who has just confirmed the current password (see confirm_password)."""
    _set_password(user, new, action="user.password_changed")


def _set_password(user: User, new: str, *, action: str) -> None:
    check_new_password(new, user.email)
    user.password_hash = passwords.hash_password(new)
    user.session_version += 1
    # Any other reset link still in a mailbox dies with the old password.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    audit.record(
        action,
        actor_id=user.id,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )


# Invitations -------------------------------------------------------------------------------


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
    outbox.enqueue("accounts.invitation_email", {"invitation_id": invitation.id})
    audit.record(
        "invitation.sent",
        actor_id=actor.id,
        organisation_id=organisation.id,
        object_type="invitation",
        object_id=invitation.id,
        details={"role": role.value},
    )
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return make_link_token(INVITATION_LINK, invitation.id, invitation.nonce)


def load_invitation(token: str) -> Invitation:
    return _load_link_record(Invitation, INVITATION_LINK, token)


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
    audit.record(
        "invitation.accepted",
        actor_id=user.id,
        organisation_id=invitation.organisation_id,
        object_type="invitation",
        object_id=invitation.id,
        details={"role": invitation.role},
    )


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = utcnow()
    audit.record(
        "invitation.revoked",
        actor_id=actor.id,
        organisation_id=invitation.organisation_id,
        object_type="invitation",
        object_id=invitation.id,
    )


# Password reset ----------------------------------------------------------------------------


def request_password_reset(email: str) -> PasswordReset | None:
    """Send a reset link if the account exists; the caller says the same thing either way."""
    user = find_user_by_email(email)
    if user is None or user.password_hash is None:
        return None
    ttl = timedelta(minutes=int(current_app.config["PASSWORD_RESET_TTL_MINUTES"]))
    reset = PasswordReset(user=user, nonce=new_nonce(), expires_at=utcnow() + ttl)
    db.session.add(reset)
    db.session.flush()
    outbox.enqueue("accounts.password_reset_email", {"reset_id": reset.id})
    audit.record(
        "password_reset.requested",
        actor_id=None,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )
    return reset


def password_reset_token(reset: PasswordReset) -> str:
    return make_link_token(RESET_LINK, reset.id, reset.nonce)


def load_password_reset(token: str) -> PasswordReset:
    return _load_link_record(PasswordReset, RESET_LINK, token)


def _load_link_record(model: type[LinkRecord], purpose: str, token: str) -> LinkRecord:
    """The record a signed link names, or LinkError saying whether the link is forged,
    used (or withdrawn) or expired."""
    record_id, nonce = _read(purpose, token)
    record = db.session.get(model, record_id)
    if record is None or not nonce_matches(record.nonce, nonce):
        raise LinkError(LinkProblem.INVALID)
    if getattr(record, "used_at", None) or getattr(record, "accepted_at", None):
        raise LinkError(LinkProblem.USED)
    if getattr(record, "revoked_at", None) is not None:
        raise LinkError(LinkProblem.INVALID)
    if record.expires_at <= utcnow():
        raise LinkError(LinkProblem.EXPIRED)
    return record


def reset_password(reset: PasswordReset, new_password: str) -> User:
    user = reset.user
    _set_password(user, new_password, action="user.password_reset")
    reset.used_at = utcnow()
    # Whoever guessed before cannot use their guesses now, and the owner has just shown they
    # read the account's mail: the pause is lifted. A deliberate lock is not: an admin decides.
    user.locked_until = None
    user.failed_logins = 0
    return user
