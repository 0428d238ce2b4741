"""Funders, their contacts, grants and report subscriptions: the verbs admins use. Each takes
the acting user, flushes and audits; the caller commits. Refusals raise FunderError with a
message for the form field it names (never repeating a personal value)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ngo import audit
from ngo.accounts import invitations
from ngo.accounts.models import Invitation, Membership, Organisation, Role, User
from ngo.campaigns.models import Appeal, Category
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.money import Money
from ngo.reports.funders.models import (
    Funder,
    FunderContact,
    Grant,
    ReportSubscription,
)
from ngo.reports.funders.periods import Frequency, period_containing
from ngo.rules import RuleError
from ngo.timeutil import utcnow


class FunderError(RuleError):
    pass


@dataclass(frozen=True)
class FunderDetails:
    name: str
    website: str = ""
    contact_person: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


def _clean(text: str) -> str | None:
    return text.strip() or None


def _check_name_free(organisation_id: int, name: str, funder_id: int | None) -> None:
    taken = db.session.scalar(
        select(Funder.id).where(
            Funder.organisation_id == organisation_id,
            func.lower(Funder.name) == name.lower(),
            Funder.id != (funder_id or 0),
        )
    )
    if taken:
        raise FunderError(_l("Another funder already has this name."), field="name")


def _apply(funder: Funder, details: FunderDetails) -> None:
    name = " ".join(details.name.split())
    if not name:
        raise FunderError(_l("Give the funder a name."), field="name")
    _check_name_free(funder.organisation_id, name, funder.id)
    funder.name = name
    funder.website = _clean(details.website)
    funder.contact_person = _clean(details.contact_person)
    funder.contact_email = _clean(details.contact_email)
    funder.contact_phone = _clean(details.contact_phone)
    funder.notes = _clean(details.notes)


def create_funder(organisation: Organisation, details: FunderDetails, *, actor: User) -> Funder:
    funder = Funder(organisation_id=organisation.id)
    _apply(funder, details)
    db.session.add(funder)
    db.session.flush()
    audit.record_change(funder, actor, "funder.created")
    return funder


def update_funder(funder: Funder, details: FunderDetails, *, actor: User) -> None:
    _apply(funder, details)
    db.session.flush()
    audit.record_change(funder, actor, "funder.changed")


# Contacts ----------------------------------------------------------------------------------


def invite_contact(funder: Funder, email: str, *, locale: str, actor: User) -> FunderContact:
    """Invite a person to sign in for the funder (the funder role, two factors); they become
    the funder's contact when they accept (link_accepted_invitation)."""
    organisation = db.session.get_one(Organisation, funder.organisation_id)
    invitation = invitations.invite_user(
        organisation, email, Role.FUNDER, locale=locale, actor=actor
    )
    contact = FunderContact(funder=funder, invitation_id=invitation.id)
    db.session.add(contact)
    db.session.flush()
    audit.record_change(funder, actor, "funder.contact_invited", invitation_id=invitation.id)
    return contact


def link_member(funder: Funder, user_id: int, *, actor: User) -> FunderContact:
    """Make a member of the organisation who has the funder role a contact of this funder."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.organisation_id == funder.organisation_id,
            Membership.user_id == user_id,
            Membership.role == Role.FUNDER.value,
        )
    )
    if membership is None:
        raise FunderError(_l("Choose a member with the funder role."), field="user")
    linked = db.session.scalar(
        select(FunderContact.funder_id)
        .join(Funder)
        .where(FunderContact.user_id == user_id, Funder.organisation_id == funder.organisation_id)
    )
    if linked is not None:
        raise FunderError(_l("This person is already a contact of a funder."), field="user")
    contact = FunderContact(funder=funder, user_id=user_id)
    db.session.add(contact)
    db.session.flush()
    audit.record_change(funder, actor, "funder.contact_linked", user_id=user_id)
    return contact


def link_accepted_invitation(invitation: Invitation, user: User) -> None:
    """Receiver of accounts' invitation_accepted signal: the invitee becomes the contact of the
    funder that invited them, in the same transaction as their membership."""
    contact = db.session.scalar(
        select(FunderContact).where(FunderContact.invitation_id == invitation.id)
    )
    if contact is None or contact.user_id is not None:
        return
    contact.user_id = user.id
    db.session.flush()


def remove_contact(contact: FunderContact, *, actor: User) -> None:
    """The person no longer signs in for the funder (their membership is the admin's to
    remove on the users page) and stops receiving its reports."""
    funder = contact.funder
    if contact.invitation_id is not None and contact.user_id is None:
        invitation = db.session.get(Invitation, contact.invitation_id)
        if invitation is not None:
            invitations.revoke_invitation(invitation, actor=actor)
    db.session.delete(contact)
    db.session.flush()
    audit.record_change(funder, actor, "funder.contact_removed", contact_id=contact.id)


def funder_of_user(user_id: int, organisation_id: int) -> Funder | None:
    """The funder a user signs in for, in the organisation they act in."""
    return db.session.scalar(
        select(Funder)
        .join(FunderContact)
        .where(FunderContact.user_id == user_id, Funder.organisation_id == organisation_id)
    )


# Grants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantDetails:
    title: str
    amount: Money
    starts_on: date
    ends_on: date
    appeal_ids: Sequence[int] = ()
    categories: Sequence[str] = ()


def _apply_grant(grant: Grant, details: GrantDetails) -> None:
    title = " ".join(details.title.split())
    if not title:
        raise FunderError(_l("Give the grant a title or reference."), field="title")
    if details.amount.amount_minor <= 0:
        raise FunderError(_l("A grant's amount must be more than zero."), field="amount")
    if details.ends_on < details.starts_on:
        raise FunderError(_l("The grant cannot end before it starts."), field="ends_on")
    unknown_categories = set(details.categories) - {c.value for c in Category}
    if unknown_categories:
        raise FunderError(_l("Choose categories from the list."), field="categories")
    appeals = list(
        db.session.scalars(
            select(Appeal).where(
                Appeal.id.in_(list(details.appeal_ids)),
                Appeal.organisation_id == grant.organisation_id,
            )
        )
    )
    if len(appeals) != len(set(details.appeal_ids)):
        raise FunderError(_l("Choose appeals of your organisation."), field="appeals")
    if not appeals and not details.categories:
        raise FunderError(
            _l("Link the grant to at least one appeal or one category."), field="appeals"
        )
    grant.title = title
    grant.amount_minor = details.amount.amount_minor
    grant.currency = details.amount.currency
    grant.starts_on = details.starts_on
    grant.ends_on = details.ends_on
    grant.category_list = [Category(c) for c in details.categories]
    grant.appeals = appeals


def create_grant(funder: Funder, details: GrantDetails, *, actor: User) -> Grant:
    # Added to the session (and to funder.grants) only once valid: nothing half-made is flushed.
    grant = Grant(organisation_id=funder.organisation_id, funder_id=funder.id)
    _apply_grant(grant, details)
    db.session.add(grant)
    db.session.flush()
    audit.record_change(grant, actor, "grant.created", funder_id=funder.id)
    return grant


def update_grant(grant: Grant, details: GrantDetails, *, actor: User) -> None:
    _apply_grant(grant, details)
    db.session.flush()
    audit.record_change(grant, actor, "grant.changed", funder_id=grant.funder_id)


# Subscriptions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionDetails:
    frequency: str
    language: str
    recipient_ids: Sequence[int]
    active: bool = True


def _apply_subscription(
    subscription: ReportSubscription, funder: Funder, details: SubscriptionDetails
) -> None:
    if details.frequency not in {f.value for f in Frequency}:
        raise FunderError(_l("Choose monthly or quarterly."), field="frequency")
    if details.language not in LANGUAGES:
        raise FunderError(_l("Choose a language from the list."), field="language")
    contacts = [
        c for c in funder.contacts if c.id in set(details.recipient_ids) and c.user_id is not None
    ]
    if len(contacts) != len(set(details.recipient_ids)):
        raise FunderError(
            _l("Recipients must be contacts of this funder who accepted their invitation."),
            field="recipients",
        )
    if not contacts:
        raise FunderError(_l("Choose at least one recipient."), field="recipients")
    if subscription.frequency != details.frequency:
        # The next report covers the new kind of period that holds the first unreported day.
        subscription.next_period_start = period_containing(
            subscription.next_period_start, Frequency(details.frequency)
        ).start
    subscription.frequency = details.frequency
    subscription.language = details.language
    subscription.recipients = contacts
    if details.active and not subscription.active:
        # Resuming does not send the periods missed while paused: reports start again with
        # the current period.
        subscription.next_period_start = period_containing(
            utcnow().date(), Frequency(details.frequency)
        ).start
    subscription.active = details.active


def create_subscription(
    funder: Funder, details: SubscriptionDetails, *, actor: User, today: date | None = None
) -> ReportSubscription:
    """The first report covers the period under way (from its first day)."""
    start = period_containing(today or utcnow().date(), Frequency(details.frequency)).start
    subscription = ReportSubscription(
        organisation_id=funder.organisation_id,
        funder_id=funder.id,
        next_period_start=start,
        frequency=details.frequency,
        active=True,
    )
    _apply_subscription(subscription, funder, details)
    db.session.add(subscription)
    db.session.flush()
    audit.record_change(subscription, actor, "report_subscription.created", funder_id=funder.id)
    return subscription


def update_subscription(
    subscription: ReportSubscription, details: SubscriptionDetails, *, actor: User
) -> None:
    _apply_subscription(subscription, subscription.funder, details)
    db.session.flush()
    audit.record_change(
        subscription, actor, "report_subscription.changed", funder_id=subscription.funder_id
    )
