"""The audit record of a change to an appeal: one helper for every appeal operation."""

from __future__ import annotations

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns.models import Appeal


def audit_appeal(appeal: Appeal, actor: User | None, action: str, **details: object) -> None:
    """Record `action` on `appeal` in the caller's transaction. `details` hold no personal
    values and no public text (ids, digests, languages, kinds)."""
    audit.record(
        action,
        actor_id=actor.id if actor is not None else None,
        organisation_id=appeal.organisation_id,
        object_type="appeal",
        object_id=appeal.id,
        details=dict(details),
    )
