"""What the dashboard shows an organisation's administrator, as plain data: invitations not yet
answered, accounts that cannot sign in (locked by someone, or paused after wrong guesses) and
the background work that failed (ngo/accounts/work.py). Reads only; a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ngo.accounts import policy
from ngo.accounts.models import Invitation, Membership, User
from ngo.accounts.work import WorkAttention, work_needing_attention
from ngo.extensions import db
from ngo.timeutil import utcnow

LIST_LIMIT = 10


@dataclass(frozen=True)
class PendingInvitation:
    email: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class LockedAccount:
    user_id: int
    display_name: str
    # Locked by an administrator or the operator: stays locked until someone unlocks it.
    deliberate: bool
    # Otherwise paused after wrong passwords or codes, until then.
    paused_until: datetime | None


@dataclass(frozen=True)
class AdminAttention:
    invitations: list[PendingInvitation]
    invitations_total: int
    locked: list[LockedAccount]
    work: WorkAttention


def admin_attention(membership: Membership) -> AdminAttention:
    """Five queries: invitations (page and count), locked members, failed and dead work."""
    now = utcnow()
    pending = policy.scope(
        select(Invitation).where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        ),
        membership,
        Invitation.organisation_id,
    )
    invitations = db.session.scalars(
        pending.order_by(Invitation.expires_at, Invitation.id).limit(LIST_LIMIT)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(pending.subquery())) or 0
    locked_users = db.session.scalars(
        policy.scope(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(or_(User.locked_at.is_not(None), User.locked_until > now))
            .order_by(User.display_name, User.id),
            membership,
            Membership.organisation_id,
        )
    ).all()
    return AdminAttention(
        invitations=[PendingInvitation(i.email, i.role, i.expires_at) for i in invitations],
        invitations_total=int(total),
        locked=[
            LockedAccount(
                u.id,
                u.display_name,
                deliberate=u.locked_at is not None,
                paused_until=u.locked_until
                if u.locked_until is not None and u.locked_until > now
                else None,
            )
            for u in locked_users
        ],
        work=work_needing_attention(membership),
    )
