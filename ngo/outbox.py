"""Transactional outbox: work for the worker is written in the same commit as the change.

After the commit the message is handed to Celery at once; the beat relay re-sends whatever has
waited longer than OUTBOX_SWEEP_AFTER_SECONDS (broker down, a lost task, a worker that died).
The rows are the source of truth for the state of the work (see `status_of`):

queued   written, not yet run (or its worker died and the lease ran out)
running  claimed by a worker whose lease has not run out
failed   the last attempt raised; it runs again at `due_at` (exponential backoff with jitter)
dead     a permanent failure (`PermanentError`), or the attempts ran out: never retried
         unless someone presses Retry on the admin page (`retry_message`)
sent     done

Delivery claims a message before running its handler, so two deliveries of one message run it
once. A handler that does several outward things in a row (one mail per follower) records each
as a *step* (`step_done`/`record_step`, which ngo.mail does for every mail it sends inside a
delivery): a retry after a failure half-way skips what already left.

A handler that knows a failure is final raises `PermanentError` (ngo.mail raises its
subclass `PermanentDeliveryError` for a 5xx refusal); `register_handler(...,
on_permanent_failure=fn)` lets the domain record it on its own record (the donation, the
follower) in the same commit that marks the message dead. Any other exception counts as
transient (a lost connection, a lock timeout) and is retried until MAX_ATTEMPTS.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, cast

from celery import Task, shared_task
from flask import Flask, current_app
from sqlalchemy import CursorResult, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from ngo.extensions import db, listen
from ngo.outbox_state import (
    OutboxMessage,
    OutboxStep,
    PermanentError,
    WorkStatus,
    describe_error,
    lease,
    max_attempts,
    retry_delay,
    setting,
    status_filter,
    status_of,
)
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction

# The rows, their states and the retry settings live in ngo/outbox_state.py; importers use
# them from here.
__all__ = [
    "OutboxMessage",
    "OutboxStep",
    "PermanentError",
    "RetryLaterError",
    "WorkStatus",
    "deliver",
    "describe_error",
    "enqueue",
    "lease",
    "max_attempts",
    "record_step",
    "register_handler",
    "retry_delay",
    "retry_message",
    "status_filter",
    "status_of",
    "step_done",
    "step_key",
]

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
PermanentErrorHandler = Callable[[dict[str, Any], "PermanentError"], None]
_HANDLERS = "ngo.outbox_handlers"
# In session.info: the messages the transaction wrote, handed to the broker after its commit.
_ENQUEUED = "outbox_committed"
_ON_PERMANENT = "ngo.outbox_permanent_failure_handlers"


def init_app(app: Flask) -> None:
    """The app's handler registry (filled by each domain's init_app) and the session hooks
    that hand committed messages to the broker."""
    app.extensions.setdefault(_HANDLERS, {})
    app.extensions.setdefault(_ON_PERMANENT, {})
    listen(Session, "after_commit", _dispatch_after_commit)
    listen(Session, "after_rollback", _forget_after_rollback)


def register_handler(
    app: Flask,
    kind: str,
    handler: Handler,
    *,
    on_permanent_failure: PermanentErrorHandler | None = None,
) -> None:
    """Name the function the worker runs for messages of `kind`; a domain calls it from its
    init_app for each kind it enqueues. `on_permanent_failure(payload, failure)` runs in the
    commit that marks such a message dead: the place to note a refused address."""
    handlers: dict[str, Handler] = app.extensions.setdefault(_HANDLERS, {})
    if handlers.get(kind, handler) is not handler:
        raise ValueError(f"outbox kind {kind!r} already has another handler")
    handlers[kind] = handler
    if on_permanent_failure is not None:
        app.extensions.setdefault(_ON_PERMANENT, {})[kind] = on_permanent_failure


def _handlers() -> dict[str, Handler]:
    return current_app.extensions.get(_HANDLERS, {})


def enqueue(
    kind: str,
    payload: dict[str, Any],
    session: Session | None = None,
    *,
    organisation_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the caller's transaction; payloads carry ids, never personal values.
    `organisation_id` puts the work on that organisation's admin page."""
    if kind not in _handlers():
        raise ValueError(f"no outbox handler for {kind!r}")
    session = session or db.session()
    message = OutboxMessage(kind=kind, payload=payload, organisation_id=organisation_id)
    session.add(message)
    # Not flushed here: the row goes with the transaction's next flush (at the latest, its
    # commit's), one round fewer for a money movement that writes it last.
    session.info.setdefault(_ENQUEUED, []).append(message)
    return message


def _dispatch_after_commit(session: Session) -> None:
    messages: list[OutboxMessage] = session.info.pop(_ENQUEUED, [])
    # The ids without a query: a committed object keeps its identity though it is expired.
    # A message whose savepoint was rolled back has none, and was never written.
    identities = (inspect(message).identity for message in messages)
    ids = [identity[0] for identity in identities if identity]
    for message_id in ids:
        try:
            deliver_outbox_message_task.delay(message_id)
        except Exception:  # the beat relay picks it up later
            log.warning("outbox message %s not handed to the broker; relay will retry", message_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)


# Steps ------------------------------------------------------------------------------------

# The message whose handler runs in this context.
_current_message: ContextVar[int | None] = ContextVar("outbox_current_message", default=None)


def step_key(kind: str, value: str) -> str:
    """A step's key: `kind` and a keyed hash of `value` (an address stays out of the table)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, value.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:40]}"


def step_done(key: str) -> bool:
    """Did an earlier attempt of the message being delivered already do this step? Outside a
    delivery there is nothing to remember: False."""
    message_id = _current_message.get()
    if message_id is None:
        return False
    found = db.session.scalar(
        select(OutboxStep.id).where(OutboxStep.message_id == message_id, OutboxStep.key == key)
    )
    return found is not None


def record_step(key: str) -> None:
    """Note that the step happened and commit at once, with whatever the handler did before
    it: if the handler fails after this point, its retry skips the step. (Only a crash between
    the step and this commit, a few milliseconds, can repeat it.)"""
    message_id = _current_message.get()
    if message_id is None:
        return
    db.session.add(OutboxStep(message_id=message_id, key=key))
    db.session.commit()


# Delivery ---------------------------------------------------------------------------------


class RetryLaterError(Exception):
    """The message could not run now; the task asks Celery to try it again in `seconds`.
    `error` is the safe description of the failure, if there was one."""

    def __init__(self, seconds: float, error: str) -> None:
        super().__init__(f"again in {seconds:.1f} s: {error}")
        self.seconds = seconds
        self.error = error


def _claim(message_id: int) -> bool:
    now = utcnow()
    # Committed on its own, before the handler runs: a second delivery must see the claim.
    with transaction():
        # A claim whose lease ran out is an attempt that never finished: its worker died
        # (SIGKILL, the hard time limit, a lost machine). Said so on the admin page.
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.claimed_at < now - lease(),
            )
            .values(
                claimed_at=None,
                failed_at=OutboxMessage.claimed_at,
                last_error="WorkerLost",
                last_error_detail="the attempt did not finish: its worker stopped",
            )
        )
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.dead_at.is_(None),
                OutboxMessage.attempts < max_attempts(),
                or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now),
                OutboxMessage.claimed_at.is_(None),
            )
            .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    # Session.execute is typed as returning a Result; for an UPDATE it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount == 1


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


def deliver(message_id: int) -> bool:
    """Run the handler of one message unless it was sent, is being sent or is not due. True
    if it ran. On a transient failure raises RetryLaterError (after recording the failure); on a
    permanent one, or the last attempt, marks the message dead and returns False.

    Units of work: the claim; the handler's work with the mark that it was sent (and each
    recorded step, which commits); and, if the handler fails, the failure's record."""
    if not _claim(message_id):
        later = _unclaimed_reason(message_id)
        if later is not None:
            raise later
        return False
    failure: Exception | None = None
    token = _current_message.set(message_id)
    try:
        with transaction():
            # The claim just updated the row: only a concurrent delete could make it vanish.
            message = db.session.get_one(OutboxMessage, message_id)
            handler = _handlers().get(message.kind)
            if handler is None:
                raise PermanentError(f"no handler for {message.kind}"[:200])
            handler(dict(message.payload))
            message = db.session.get_one(OutboxMessage, message_id)
            message.sent_at = utcnow()
            message.claimed_at = None
    except Exception as exc:
        failure = exc
    finally:
        _current_message.reset(token)
    if failure is None:
        return True
    # Outside the `except`: what is raised from here must not carry the handler's exception
    # (its text can hold an address) along as its context.
    return _record_failure(message_id, failure)


def _record_failure(message_id: int, exc: Exception) -> bool:
    error, detail = describe_error(exc)
    permanent = isinstance(exc, PermanentError)
    now = utcnow()
    with transaction():
        message = db.session.get_one(OutboxMessage, message_id)
        message.claimed_at = None
        message.failed_at = now
        message.last_error, message.last_error_detail = error, detail
        if permanent or message.attempts >= max_attempts():
            message.dead_at, message.due_at = now, None
            on_permanent = current_app.extensions.get(_ON_PERMANENT, {}).get(message.kind)
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


def retry_message(message_id: int) -> OutboxMessage:
    """An admin's Retry: a failed or dead message becomes due now with its attempts counted
    afresh. The caller commits; the commit hands it to the broker."""
    message = db.session.get_one(OutboxMessage, message_id)
    message.dead_at = None
    message.due_at = None
    message.attempts = 0
    db.session.flush()
    db.session.info.setdefault(_ENQUEUED, []).append(message)
    return message


def pending_message_ids(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    """Messages the relay hands over again: not sent, not dead, not under a live lease, and
    due for longer than `older_than` (the immediate dispatch, or the retry, should have run)."""
    now = utcnow()
    cutoff = now - older_than
    m = OutboxMessage
    return list(
        db.session.scalars(
            select(m.id)
            .where(
                m.sent_at.is_(None),
                m.dead_at.is_(None),
                or_(m.claimed_at.is_(None), m.claimed_at < now - lease()),
                func.coalesce(m.due_at, m.created_at) <= cutoff,
            )
            .order_by(m.id)
            .limit(500)
        )
    )


@shared_task(
    name="outbox.deliver",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def deliver_outbox_message_task(self: Task[Any, Any], message_id: int) -> bool:
    """Runs one message; the row's own record decides what happens (see `deliver`). Acked
    late: a worker that dies mid-run leaves the task to the broker, which hands it out again."""
    try:
        return deliver(message_id)
    except RetryLaterError as later:
        if self.request.is_eager:
            return False  # the relay (or the admin's Retry) runs it again
        try:
            raise self.retry(countdown=later.seconds, exc=RuntimeError(later.error))
        except self.MaxRetriesExceededError:  # pragma: no cover - max_retries is None
            return False


@shared_task(name="outbox.relay")
def relay_outbox_task() -> int:
    age = timedelta(seconds=setting("OUTBOX_SWEEP_AFTER_SECONDS", 60))
    ids = pending_message_ids(older_than=age)
    for message_id in ids:
        deliver_outbox_message_task.delay(message_id)
    return len(ids)
