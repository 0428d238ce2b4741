"""Transactional outbox: work for the worker is written in the same commit as the change.

The rows are the source of truth for the state of the work (see `status_of`):

queued   written, not yet run (or its worker died and the lease ran out)
running  claimed by a worker whose lease has not run out
failed   the last attempt raised; it runs again at `due_at` (exponential backoff with jitter)
dead     a permanent failure (`PermanentError`), or the attempts ran out: never retried
         unless someone presses Retry on the admin page (`retry_message`)
sent     done

Each guarantee is kept, and described, by one module of this package:

state       the rows (OutboxMessage, OutboxStep), their states, the retry settings, the safe
            description of an error
registry    which handler runs each kind; what is final (`PermanentError`) and what is retried
enqueueing  a message goes with the caller's commit and to the broker after it (`enqueue`)
claims      a message is claimed under a lease, so two deliveries run it once
steps       what a handler did outward is on record, so a retry does not do it again
delivery    one attempt: claim, handler, sent or the failure's record (`deliver`)
relay       the Celery tasks (one message, or one commit's messages) and beat's relay of
            what waited too long

Callers use the names below from `ngo.outbox`.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from ngo.extensions import listen
from ngo.outbox import registry
from ngo.outbox.delivery import RetryLaterError, deliver
from ngo.outbox.enqueueing import (
    dispatch_after_commit,
    dispatch_after_transaction_end,
    enqueue,
    enqueue_row,
    enqueue_rows,
    enqueue_rows_deferred,
    forget_after_rollback,
    retry_message,
)
from ngo.outbox.registry import Handler, PermanentErrorHandler, register_handler
from ngo.outbox.relay import (
    deliver_outbox_message_task,
    deliver_outbox_messages_task,
    pending_message_ids,
    relay_outbox_task,
)
from ngo.outbox.state import (
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
from ngo.outbox.steps import forget_committed_steps, record_step, step_done, step_key

__all__ = [
    "Handler",
    "OutboxMessage",
    "OutboxStep",
    "PermanentError",
    "PermanentErrorHandler",
    "RetryLaterError",
    "WorkStatus",
    "deliver",
    "deliver_outbox_message_task",
    "deliver_outbox_messages_task",
    "describe_error",
    "enqueue",
    "enqueue_row",
    "enqueue_rows",
    "enqueue_rows_deferred",
    "init_app",
    "lease",
    "max_attempts",
    "pending_message_ids",
    "record_step",
    "register_handler",
    "relay_outbox_task",
    "retry_delay",
    "retry_message",
    "setting",
    "status_filter",
    "status_of",
    "step_done",
    "step_key",
]


def init_app(app: Flask) -> None:
    """The app's handler registry (filled by each domain's init_app) and the session hooks
    that hand committed messages to the broker."""
    registry.init_app(app)
    listen(Session, "after_commit", dispatch_after_commit)
    listen(Session, "after_transaction_end", dispatch_after_transaction_end)
    listen(Session, "after_commit", forget_committed_steps)
    listen(Session, "after_rollback", forget_after_rollback)
