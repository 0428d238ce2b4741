"""The outbox's rows and the state of the work they hold (see ngo/outbox/ for delivery):
queued, running, failed, dead or sent, computed from the row's times the same way in Python
(`status_of`) and in SQL (`status_filter`); the settings that shape retries; and the safe
description of an error that staff see."""

from __future__ import annotations

import errno
import random
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import JSON, ColumnElement, ForeignKey, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column

from ngo.extensions import Model
from ngo.timeutil import utcnow


class PermanentError(Exception):
    """Raised by a handler when trying again cannot help (an address that does not exist).
    `safe_message` is shown to staff and logged, so it never holds personal data."""

    def __init__(self, safe_message: str) -> None:
        super().__init__(safe_message)
        self.safe_message = safe_message


class WorkStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DEAD = "dead"
    SENT = "sent"


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Whose work it is, for the admin page; None for account mail (a user may belong to
    # several organisations), which only platform admins see.
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # The earliest time the next attempt may run; None: at once.
    due_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    # The error's class name and a message safe to show (never the exception's own text,
    # which can hold an address or a name).
    last_error: Mapped[str | None] = mapped_column(String(120))
    last_error_detail: Mapped[str | None] = mapped_column(String(200))


class OutboxStep(Model):
    """One outward effect of a message that already happened (a mail to one recipient), so
    that a retry of the message does not repeat it. Keys are keyed hashes, never addresses."""

    __tablename__ = "outbox_steps"
    __table_args__ = (UniqueConstraint("message_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


# Settings ---------------------------------------------------------------------------------


def setting(name: str, default: float) -> float:
    """A number from the app's config, or the default outside an app (a unit test of the
    backoff)."""
    return float(current_app.config.get(name, default)) if has_app_context() else default


def lease() -> timedelta:
    """How long a claim holds: longer than the task's hard time limit, so that a slow run is
    never taken over by a second worker while it still runs."""
    return timedelta(seconds=setting("OUTBOX_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return int(setting("OUTBOX_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: doubling from the base up to the cap, of which a
    random half is taken off ("equal jitter"), so that messages that failed together (the SMTP
    server was down) do not all come back in the same second."""
    base = setting("OUTBOX_RETRY_BASE_SECONDS", 30)
    cap = setting("OUTBOX_RETRY_MAX_SECONDS", 3600)
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (timing, not secrecy)


# Status -----------------------------------------------------------------------------------


def status_of(message: OutboxMessage, now: datetime | None = None) -> WorkStatus:
    now = now or utcnow()
    if message.sent_at is not None:
        return WorkStatus.SENT
    if message.dead_at is not None:
        return WorkStatus.DEAD
    if message.claimed_at is not None and message.claimed_at > now - lease():
        return WorkStatus.RUNNING
    if message.failed_at is not None:
        return WorkStatus.FAILED
    return WorkStatus.QUEUED


def status_filter(status: WorkStatus, now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL condition of one status, the same rule as `status_of`."""
    now = now or utcnow()
    m = OutboxMessage
    unsent = and_(m.sent_at.is_(None), m.dead_at.is_(None))
    leased = and_(m.claimed_at.is_not(None), m.claimed_at > now - lease())
    conditions = {
        WorkStatus.SENT: m.sent_at.is_not(None),
        WorkStatus.DEAD: and_(m.sent_at.is_(None), m.dead_at.is_not(None)),
        WorkStatus.RUNNING: and_(unsent, leased),
        WorkStatus.FAILED: and_(unsent, ~leased, m.failed_at.is_not(None)),
        WorkStatus.QUEUED: and_(unsent, ~leased, m.failed_at.is_(None)),
    }
    return conditions[status]


def describe_error(exc: BaseException) -> tuple[str, str]:
    """The class name and a message that is safe to store and show: only what the exception
    says about itself on purpose (`safe_message`), an SMTP code or an errno name."""
    detail = getattr(exc, "safe_message", None)
    if not isinstance(detail, str):
        code = getattr(exc, "smtp_code", None)
        number = getattr(exc, "errno", None)
        if isinstance(code, int):
            detail = f"SMTP {code}"
        elif isinstance(number, int) and number in errno.errorcode:
            detail = errno.errorcode[number]
        elif isinstance(exc, TimeoutError):
            detail = "timed out"
        else:
            detail = ""
    return type(exc).__name__[:120], detail[:200]
