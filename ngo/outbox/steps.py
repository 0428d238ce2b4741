"""A delivery's steps: the outward things a handler did, on record so a retry skips them.

A handler that does several outward things in a row (one mail per follower) records each
as a *step* (`step_done`/`record_step`, which ngo.mail does for every mail it sends inside a
delivery): a retry after a failure half-way skips what already left. A step is committed at the
first of: the check before the next step (so it is on record before anything else leaves), the
commit that marks the message sent (one commit for the handler's last mail and the mark), or
the commit that records the handler's failure (`record_steps_after_failure`).
"""

from __future__ import annotations

import hashlib
import hmac
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ngo.extensions import db
from ngo.outbox.state import OutboxStep


@dataclass
class DeliverySteps:
    """The message whose handler runs in this context, and the steps its attempt did."""

    message_id: int
    # Nothing can be on record from before (see claims.Claim.first): no need to look.
    first_attempt: bool = False
    done: set[str] = field(default_factory=set)
    # Done, and in the session but not committed yet: the next commit takes them along.
    uncommitted: dict[str, OutboxStep] = field(default_factory=dict)

    def keep_in_session(self) -> None:
        """Put back what a rollback took out of the session (steps stay done)."""
        for key, step in list(self.uncommitted.items()):
            if step not in db.session:
                self.uncommitted[key] = _add_step(self.message_id, key)


# Set by ngo/outbox/delivery.py while a handler runs; outside a delivery, None.
current_delivery: ContextVar[DeliverySteps | None] = ContextVar("outbox_delivery", default=None)


def _add_step(message_id: int, key: str) -> OutboxStep:
    step = OutboxStep(message_id=message_id, key=key)
    db.session.add(step)
    return step


def forget_committed_steps(session: Session) -> None:
    """Session hook: what the request's session committed is on record."""
    delivery = current_delivery.get()
    if delivery is not None and delivery.uncommitted and session is db.session():
        delivery.uncommitted.clear()


def step_key(kind: str, value: str) -> str:
    """A step's key: `kind` and a keyed hash of `value` (an address stays out of the table)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, value.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:40]}"


def step_done(key: str) -> bool:
    """Did this or an earlier attempt of the message being delivered already do this step?
    Outside a delivery there is nothing to remember: False."""
    delivery = current_delivery.get()
    if delivery is None:
        return False
    if key in delivery.done:
        return True
    if delivery.uncommitted:
        # Another mail is about to leave: the ones before it go on record first, so that a
        # worker lost from here on does not send them again (one mail alone commits with the
        # mark that the message was sent).
        delivery.keep_in_session()
        db.session.commit()
    if delivery.first_attempt:
        return False
    delivery.keep_in_session()
    found = db.session.scalar(
        select(OutboxStep.id).where(
            OutboxStep.message_id == delivery.message_id, OutboxStep.key == key
        )
    )
    return found is not None


def record_step(key: str) -> None:
    """Note that the step happened, in the handler's transaction: it commits with the
    handler's next commit (a handler that commits each mail with its own record), at the
    latest with the mark that the message was sent, or, if the handler fails first, with the
    record of the failure. A retry skips it. (Only a crash between the step and that commit,
    the moment the handler runs on, can repeat it.)"""
    delivery = current_delivery.get()
    if delivery is None:
        return
    delivery.done.add(key)
    delivery.uncommitted[key] = _add_step(delivery.message_id, key)


def record_steps_after_failure(message_id: int, steps: list[str]) -> None:
    """The steps the failed attempt did that no commit took along (the rollback dropped
    them); one that raised only after the database had committed may have: not written twice."""
    if not steps:
        return
    recorded = set(
        db.session.scalars(
            select(OutboxStep.key).where(
                OutboxStep.message_id == message_id, OutboxStep.key.in_(steps)
            )
        )
    )
    db.session.add_all(
        OutboxStep(message_id=message_id, key=key)
        for key in dict.fromkeys(steps)
        if key not in recorded
    )
