"""Running one message: claim it, run its handler, mark it sent, or record the failure.

A transient failure is retried at `due_at` (exponential backoff with jitter) until
MAX_ATTEMPTS; a `PermanentError`, or the last attempt, marks the message dead, and the
kind's `on_permanent_failure` (ngo/outbox/registry.py) records it in that same commit.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from sqlalchemy import bindparam

from ngo.extensions import db, table_of
from ngo.outbox.claims import claim
from ngo.outbox.registry import handlers, permanent_failure_handler
from ngo.outbox.state import (
    OutboxMessage,
    PermanentError,
    describe_error,
    lease,
    max_attempts,
    retry_delay,
)
from ngo.outbox.steps import DeliverySteps, current_delivery, record_steps_after_failure
from ngo.timeutil import utcnow
from ngo.unit_of_work import note_write, transaction

log = logging.getLogger(__name__)


class RetryLaterError(Exception):
    """The message could not run now; the task asks Celery to try it again in `seconds`.
    `error` is the safe description of the failure, if there was one."""

    def __init__(self, seconds: float, error: str) -> None:
        super().__init__(f"again in {seconds:.1f} s: {error}")
        self.seconds = seconds
        self.error = error


# Built once, in Core, as the claim is (ngo/outbox/claims.py).
_MESSAGES = table_of(OutboxMessage)
_MARK_SENT = (
    _MESSAGES.update()
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(sent_at=bindparam("now", type_=_MESSAGES.c.sent_at.type), claimed_at=None)
)


def deliver(message_id: int) -> bool:
    """Run the handler of one message unless it was sent, is being sent or is not due. True
    if it ran. On a transient failure raises RetryLaterError (after recording the failure); on a
    permanent one, or the last attempt, marks the message dead and returns False.

    Units of work: the claim; the handler's work with the mark that it was sent (and each
    recorded step, which commits with the next step or with that mark); and, if the handler
    fails, the failure's record (with the steps it did)."""
    claimed = claim(message_id)
    if claimed is None:
        later = _unclaimed_reason(message_id)
        if later is not None:
            raise later
        return False
    failure: Exception | None = None
    delivery = DeliverySteps(message_id, first_attempt=claimed.first)
    token = current_delivery.set(delivery)
    try:
        with transaction():
            handler = handlers().get(claimed.kind)
            if handler is None:
                raise PermanentError(f"no handler for {claimed.kind}"[:200])
            handler(dict(claimed.payload))
            delivery.keep_in_session()
            note_write(db.session())
            db.session.connection().execute(_MARK_SENT, {"message_id": message_id, "now": utcnow()})
    except Exception as exc:
        failure = exc
    finally:
        current_delivery.reset(token)
    if failure is None:
        return True
    # Outside the `except`: what is raised from here must not carry the handler's exception
    # (its text can hold an address) along as its context.
    return _record_failure(message_id, failure, list(delivery.uncommitted))


def _unclaimed_reason(message_id: int) -> RetryLaterError | None:
    """Why a claim failed: None when there is nothing left to do (sent, dead, not due yet:
    another delivery is scheduled for then); RetryLaterError while another worker's lease holds,
    since that worker may have died. A message whose attempts ran out (its worker died on the
    last one) is marked dead here."""
    now = utcnow()
    with transaction():
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.sent_at is not None or message.dead_at is not None:
            return None
        if message.claimed_at is not None and message.claimed_at >= now - lease():
            remaining = (message.claimed_at + lease() - now).total_seconds()
            return RetryLaterError(seconds=remaining + 1, error="leased")
        if message.attempts >= max_attempts():
            message.dead_at = now
            message.last_error = message.last_error or "AttemptsExhausted"
            log.error("outbox message %s (%s) is dead: attempts ran out", message.id, message.kind)
    return None


def _record_failure(message_id: int, exc: Exception, steps: list[str]) -> bool:
    error, detail = describe_error(exc)
    permanent = isinstance(exc, PermanentError)
    now = utcnow()
    with transaction():
        message = db.session.get_one(OutboxMessage, message_id)
        record_steps_after_failure(message_id, steps)
        message.claimed_at = None
        message.failed_at = now
        message.last_error, message.last_error_detail = error, detail
        if permanent or message.attempts >= max_attempts():
            message.dead_at, message.due_at = now, None
            on_permanent = permanent_failure_handler(message.kind)
            if permanent and on_permanent is not None:
                on_permanent(dict(message.payload), cast(PermanentError, exc))
            delay = None
        else:
            delay = retry_delay(message.attempts)
            message.due_at = now + timedelta(seconds=delay)
        kind, attempts = message.kind, message.attempts
    if delay is None:
        log.error("outbox message %s (%s) is dead: %s %s", message_id, kind, error, detail)
        return False
    log.warning(
        "outbox message %s (%s) attempt %s failed: %s %s; again in %.1f s",
        *(message_id, kind, attempts, error, detail, delay),
    )
    raise RetryLaterError(seconds=delay, error=f"{error} {detail}".strip())
