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
delivery): a retry after a failure half-way skips what already left. A step is committed at the
first of: the check before the next step (so it is on record before anything else leaves), the
commit that marks the message sent (one commit for the handler's last mail and the mark), or
the commit that records the handler's failure.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from celery import Task, shared_task
from flask import Flask, current_app
from sqlalchemy import CursorResult, Row, func, inspect, or_, select, update
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
    listen(Session, "after_commit", _forget_committed_steps)
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


@dataclass
class _Delivery:
    """The message whose handler runs in this context, and the steps its attempt did."""

    message_id: int
    # Nothing can be on record from before (see _Claim.first): no need to look.
    first_attempt: bool = False
    done: set[str] = field(default_factory=set)
    # Done, and in the session but not committed yet: the next commit takes them along.
    uncommitted: dict[str, OutboxStep] = field(default_factory=dict)

    def keep_in_session(self) -> None:
        """Put back what a rollback took out of the session (steps stay done)."""
        for key, step in list(self.uncommitted.items()):
            if step not in db.session:
                self.uncommitted[key] = _add_step(self.message_id, key)


_current_delivery: ContextVar[_Delivery | None] = ContextVar("outbox_delivery", default=None)


def _add_step(message_id: int, key: str) -> OutboxStep:
    step = OutboxStep(message_id=message_id, key=key)
    db.session.add(step)
    return step


def _forget_committed_steps(session: Session) -> None:
    delivery = _current_delivery.get()
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
    delivery = _current_delivery.get()
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
    delivery = _current_delivery.get()
    if delivery is None:
        return
    delivery.done.add(key)
    delivery.uncommitted[key] = _add_step(delivery.message_id, key)


# Delivery ---------------------------------------------------------------------------------


class RetryLaterError(Exception):
    """The message could not run now; the task asks Celery to try it again in `seconds`.
    `error` is the safe description of the failure, if there was one."""

    def __init__(self, seconds: float, error: str) -> None:
        super().__init__(f"again in {seconds:.1f} s: {error}")
        self.seconds = seconds
        self.error = error


@dataclass(frozen=True)
class _Claim:
    kind: str
    payload: dict[str, Any]
    # No attempt before this one (never failed, never lost): it can have no steps on record.
    first: bool


def _claim(message_id: int) -> _Claim | None:
    """The message, if this delivery may run it: the row is claimed and committed."""
    now = utcnow()
    # Committed on its own, before the handler runs: a second delivery must see the claim.
    with transaction():
        claimed = _take(message_id, now)
        # A claim whose lease ran out is an attempt that never finished: its worker died
        # (SIGKILL, the hard time limit, a lost machine). Said so on the admin page, and then
        # the message may be taken. (Looked for only when the claim failed: one statement
        # for the usual delivery.)
        if claimed is None and _release_lost_claim(message_id, now):
            claimed = _take(message_id, now)
    if claimed is None:
        return None
    return _Claim(claimed.kind, claimed.payload, claimed.attempts == 1 and not claimed.failed_at)


def _take(message_id: int, now: datetime) -> Row[Any] | None:
    return db.session.execute(
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
        # What the handler needs, without reading the row again (RETURNING: PostgreSQL, and
        # SQLite from 3.35).
        .returning(
            OutboxMessage.kind,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.failed_at,
        )
        .execution_options(synchronize_session=False)
    ).first()


def _release_lost_claim(message_id: int, now: datetime) -> bool:
    result = db.session.execute(
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
        .execution_options(synchronize_session=False)
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
    recorded step, which commits with the next step or with that mark); and, if the handler
    fails, the failure's record (with the steps it did)."""
    claimed = _claim(message_id)
    if claimed is None:
        later = _unclaimed_reason(message_id)
        if later is not None:
            raise later
        return False
    failure: Exception | None = None
    delivery = _Delivery(message_id, first_attempt=claimed.first)
    token = _current_delivery.set(delivery)
    try:
        with transaction():
            handler = _handlers().get(claimed.kind)
            if handler is None:
                raise PermanentError(f"no handler for {claimed.kind}"[:200])
            handler(dict(claimed.payload))
            delivery.keep_in_session()
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(sent_at=utcnow(), claimed_at=None)
                .execution_options(synchronize_session=False)
            )
    except Exception as exc:
        failure = exc
    finally:
        _current_delivery.reset(token)
    if failure is None:
        return True
    # Outside the `except`: what is raised from here must not carry the handler's exception
    # (its text can hold an address) along as its context.
    return _record_failure(message_id, failure, list(delivery.uncommitted))


def _record_failure(message_id: int, exc: Exception, steps: list[str]) -> bool:
    error, detail = describe_error(exc)
    permanent = isinstance(exc, PermanentError)
    now = utcnow()
    with transaction():
        message = db.session.get_one(OutboxMessage, message_id)
        _record_steps_after_failure(message_id, steps)
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


def _record_steps_after_failure(message_id: int, steps: list[str]) -> None:
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
