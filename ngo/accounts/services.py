"""Account operations: organisations, users and memberships, passwords. Each takes the acting
user as an argument, changes state, writes the audit log and flushes; the caller (a request, a
CLI command, a task) commits. Invitations are in accounts/invitations.py, password resets in
accounts/password_reset.py.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ngo import audit
from ngo.accounts import passwords, policy, two_factor
from ngo.accounts.models import Membership, Organisation, PasswordReset, Role, User
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow


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
    audit.record_change(
        membership, actor, "membership.role_changed", **{"from": previous, "to": role.value}
    )


def remove_membership(membership: Membership, *, actor: User) -> None:
    if membership.user_id == actor.id:
        raise AccountError(_l("You cannot remove yourself from the organisation."))
    _refuse_removing_last_admin(membership, new_role=None)
    membership.user.session_version += 1
    db.session.delete(membership)
    audit.record_change(membership, actor, "membership.removed")


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
    audit.record_change(membership, actor, "membership.suspended")


def reinstate_membership(membership: Membership, *, actor: User) -> None:
    if not membership.is_suspended:
        return
    membership.suspended_at = None
    audit.record_change(membership, actor, "membership.reinstated")


# Passwords ---------------------------------------------------------------------------------


def change_password(user: User, new: str) -> None:
    """For a user who has just confirmed the current password (see confirm_password)."""
    set_password(user, new, action="user.password_changed")


def set_password(user: User, new: str, *, action: str) -> None:
    """Change the password and end every session; `action` names why in the audit log."""
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
