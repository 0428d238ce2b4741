"""Who may do what. Every staff view and staff query asks this module.

A staff user acts through one membership at a time (one organisation, one role). Records of any
other organisation are out of scope: views answer 404 for them, as if they did not exist, so ids
cannot be probed across organisations.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from ngo.accounts.models import Membership, Role, User


class Action(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_USERS = "manage_users"
    EDIT_ORGANISATION = "edit_organisation"
    VIEW_AUDIT_LOG = "view_audit_log"
    # The worker's queued, failed and dead work (ngo/outbox/), and retrying it.
    MANAGE_WORK = "manage_work"
    # Cases: viewing a case's personal fields and downloading documents are audited.
    VIEW_CASES = "view_cases"
    EDIT_CASE = "edit_case"
    MANAGE_CONSENT = "manage_consent"
    UPLOAD_EVIDENCE = "upload_evidence"
    DOWNLOAD_EVIDENCE = "download_evidence"
    CHECK_EVIDENCE = "check_evidence"
    WRITE_STORY = "write_story"
    VERIFY_STORY = "verify_story"
    EXPORT_CASE = "export_case"
    ERASE_CASE = "erase_case"
    # Appeals: drafting (text, budget, sending for review) and the second-person approval.
    EDIT_APPEAL = "edit_appeal"
    APPROVE_APPEAL = "approve_appeal"
    # After publication: news on an appeal, and readers' reports about appeals.
    POST_UPDATE = "post_update"
    # Putting an update at the top of the review queue (it still needs a second person).
    MARK_UPDATE_URGENT = "mark_update_urgent"
    HANDLE_CONCERNS = "handle_concerns"
    # Money: gifts entered by hand (cash, other) and the second person's approval of the large
    # ones, the donations list and the accountant's export, moving money between an appeal's
    # lines, its reserve and the general fund.
    RECORD_GIFT = "record_gift"
    APPROVE_GIFT = "approve_gift"
    VIEW_DONATIONS = "view_donations"
    EXPORT_DONATIONS = "export_donations"
    REALLOCATE_FUNDS = "reallocate_funds"
    # A gift's receipt as the donor got it (it names the donor): downloads are audited.
    DOWNLOAD_RECEIPT = "download_receipt"
    # Donors' rights: a copy of everything held about a donor, and erasure.
    EXPORT_DONOR = "export_donor"
    ERASE_DONOR = "erase_donor"
    # Donations: the organisation's own exchange rates, entered by hand (bank accounts and
    # the public details are EDIT_ORGANISATION's).
    MANAGE_EXCHANGE_RATES = "manage_exchange_rates"
    # Bank statements: importing them, and deciding what an unmatched line is (a gift to an
    # appeal, or not a gift); both move money, so they are the treasurer's alone.
    IMPORT_STATEMENTS = "import_statements"
    RECONCILE_STATEMENTS = "reconcile_statements"
    # Money paid out of an appeal's budget lines, and the second person's approval of a large
    # payment (never by whoever recorded it).
    RECORD_DISBURSEMENT = "record_disbursement"
    APPROVE_DISBURSEMENT = "approve_disbursement"
    # Accountability reports: generating an appeal's signed report, following its progress
    # and downloading it (public text and aggregates only, so caseworkers and treasurers too).
    GENERATE_REPORT = "generate_report"
    # Funders of the organisation: their grants, report subscriptions and contacts (admins),
    # and the read-only portal a funder's contact signs in to (their grants, appeals, reports).
    MANAGE_FUNDERS = "manage_funders"
    VIEW_FUNDER_PORTAL = "view_funder_portal"
    # Platform actions are not tied to a membership: they create and list organisations.
    MANAGE_ORGANISATIONS = "manage_organisations"


PLATFORM_ACTIONS = frozenset({Action.MANAGE_ORGANISATIONS})

_CASEWORK = frozenset(
    {
        Action.VIEW_CASES,
        Action.EDIT_CASE,
        Action.MANAGE_CONSENT,
        Action.UPLOAD_EVIDENCE,
        Action.DOWNLOAD_EVIDENCE,
        Action.WRITE_STORY,
    }
)
_VERIFICATION = frozenset(
    {Action.VIEW_CASES, Action.DOWNLOAD_EVIDENCE, Action.CHECK_EVIDENCE, Action.VERIFY_STORY}
)
_TREASURY = frozenset(
    {
        Action.RECORD_GIFT,
        Action.APPROVE_GIFT,
        Action.VIEW_DONATIONS,
        Action.EXPORT_DONATIONS,
        Action.DOWNLOAD_RECEIPT,
        Action.REALLOCATE_FUNDS,
        Action.RECORD_DISBURSEMENT,
        Action.APPROVE_DISBURSEMENT,
    }
)

# Treasurers and funders never see beneficiaries' personal data.
ROLE_PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.MANAGE_USERS,
            Action.EDIT_ORGANISATION,
            Action.VIEW_AUDIT_LOG,
            Action.MANAGE_WORK,
            Action.EXPORT_CASE,
            Action.ERASE_CASE,
            Action.EDIT_APPEAL,
            Action.APPROVE_APPEAL,
            Action.POST_UPDATE,
            Action.MARK_UPDATE_URGENT,
            Action.HANDLE_CONCERNS,
            Action.EXPORT_DONOR,
            Action.ERASE_DONOR,
            Action.MANAGE_EXCHANGE_RATES,
            Action.GENERATE_REPORT,
            Action.MANAGE_FUNDERS,
        }
    )
    | _CASEWORK
    | _VERIFICATION
    | _TREASURY,
    Role.CASEWORKER: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.EDIT_APPEAL,
            Action.POST_UPDATE,
            Action.HANDLE_CONCERNS,
            Action.GENERATE_REPORT,
        }
    )
    | _CASEWORK,
    Role.VERIFIER: frozenset({Action.VIEW_DASHBOARD, Action.APPROVE_APPEAL, Action.HANDLE_CONCERNS})
    | _VERIFICATION,
    Role.TREASURER: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.MANAGE_EXCHANGE_RATES,
            Action.IMPORT_STATEMENTS,
            Action.RECONCILE_STATEMENTS,
            Action.GENERATE_REPORT,
        }
    )
    | _TREASURY,
    Role.FUNDER: frozenset({Action.VIEW_DASHBOARD, Action.VIEW_FUNDER_PORTAL}),
}

T = TypeVar("T", bound=Select[Any])


def choose_membership(user: User, organisation_id: int | None) -> Membership | None:
    """The membership the user acts through: the chosen organisation, else the first joined.
    A suspended membership is never chosen."""
    memberships = sorted((m for m in user.memberships if not m.is_suspended), key=lambda m: m.id)
    for membership in memberships:
        if membership.organisation_id == organisation_id:
            return membership
    return memberships[0] if memberships else None


def in_scope(membership: Membership | None, target: Any) -> bool:
    return membership is not None and getattr(target, "organisation_id", None) == (
        membership.organisation_id
    )


def may(membership: Membership | None, action: Action, target: Any = None) -> bool:
    """May the holder of this membership do `action` (to `target`, if given)?"""
    if action in PLATFORM_ACTIONS:
        return membership is not None and may_platform(membership.user, action)
    if membership is None or membership.is_suspended:
        return False
    if target is not None and not in_scope(membership, target):
        return False
    return action in ROLE_PERMISSIONS[Role(membership.role)]


def may_platform(user: User, action: Action) -> bool:
    return action in PLATFORM_ACTIONS and bool(user.is_platform_admin)


def scope(stmt: T, membership: Membership, organisation_column: Any) -> T:
    """Restrict a staff query to the acting organisation."""
    return stmt.where(organisation_column == membership.organisation_id)


def must_use_second_factor(user: User) -> bool:
    """Every account needs TOTP: staff see personal data or move money, and funders will read
    reports about the people they fund. Demo users are exempt only in development mode."""
    return not (user.is_demo and current_app.config["NGO_ENV"] == "development")


# Account-wide actions ----------------------------------------------------------------------


def account_action_refusal(actor: User | None, target: User) -> str | None:
    """Why `actor` may not lock, unlock or reset the second factor of `target`, or None.

    These act on the whole account, in every organisation it belongs to, so an admin of one
    organisation may not do them to someone who also works for another: only an admin of every
    organisation the account belongs to may, or the deployment's operator on the command line
    (actor None). An admin can always suspend the membership in their own organisation.
    """
    if actor is None:
        return None
    if actor.id == target.id:
        return str(_l("You cannot do this to your own account."))
    administered = {
        m.organisation_id
        for m in actor.memberships
        if m.role == Role.ADMIN.value and not m.is_suspended
    }
    if any(m.organisation_id not in administered for m in target.memberships):
        return str(
            _l(
                "This account also belongs to an organisation you do not administer, so only "
                "the platform operator can lock it, unlock it or reset its two-factor "
                "authentication. You can suspend its membership in your organisation."
            )
        )
    return None


def four_eyes_refusal(
    actor_id: int,
    *,
    authors: Iterable[int | None],
    submitter: int | None = None,
    editors: Iterable[int | None] = (),
) -> str | None:
    """The one four-eyes rule, for everything that becomes public or is confirmed by a second
    person (story verification, document checks, appeal and update approval): the author, the
    person who sent it for review and anyone who changed it since it was last approved may not
    approve it. Returns why `actor_id` may not, as a message for the person, or None."""
    if actor_id in set(authors):
        return gettext("You are its author: a second person has to approve it.")
    if submitter is not None and actor_id == submitter:
        return gettext("You sent it for review: a second person has to approve it.")
    if actor_id in set(editors):
        return gettext(
            "You changed it since it was last approved: a second person has to approve it."
        )
    return None
