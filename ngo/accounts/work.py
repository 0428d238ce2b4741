"""Which outbox work an admin sees (ngo/outbox/state.py holds the rows and their states): their
organisation's, and for a platform admin also the account mail that belongs to no
organisation (password resets and sign-in pauses of users who may work for several)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from ngo import outbox
from ngo.accounts import policy
from ngo.accounts.models import Membership
from ngo.accounts.policy import Action
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus
from ngo.timeutil import utcnow


def visible_work(membership: Membership) -> ColumnElement[bool]:
    own = OutboxMessage.organisation_id == membership.organisation_id
    if policy.may_platform(membership.user, Action.MANAGE_ORGANISATIONS):
        return or_(own, OutboxMessage.organisation_id.is_(None))
    return own


@dataclass(frozen=True)
class WorkAttention:
    failed: int  # will be tried again by itself
    dead: int  # waits for an admin's Retry


def work_needing_attention(membership: Membership) -> WorkAttention:
    """For the dashboard: how much of the admin's work failed or died."""
    now = utcnow()

    def count(status: WorkStatus) -> int:
        condition = outbox.status_filter(status, now)
        query = select(func.count(OutboxMessage.id)).where(visible_work(membership), condition)
        return db.session.scalar(query) or 0

    return WorkAttention(failed=count(WorkStatus.FAILED), dead=count(WorkStatus.DEAD))
