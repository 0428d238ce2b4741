"""Rendering a queued report in the worker: one outbox kind for every report, a renderer per
report kind, progress the staff page can poll, and a failure staff can read and retry.

The outbox message carries the report's id only. The handler renders a report that is not
done yet and does nothing for one that is, so a message delivered twice renders one PDF; a
worker killed half-way leaves the report "rendering" and the outbox's redelivery renders it
again from the start. Progress is committed in small transactions of its own, so the page
polling it sees it while the work goes on.

A failure is final for that message: the report is marked failed with a reason staff can act
on (the safety check's finding, named by part and kind, never by value), the message is dead
on the admin's work page with the same reason (`PermanentError`), and a member of staff
retries the report (`retry_report`), which queues a new message. Repeating a render by itself
would only repeat its finding."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ngo import audit, outbox
from ngo.accounts.models import User
from ngo.extensions import db
from ngo.outbox import PermanentError
from ngo.reports.models import Report, ReportStatus
from ngo.rules import RuleError
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction

log = logging.getLogger(__name__)

RENDER_KIND = "reports.render"
_RENDERERS = "ngo.reports.renderers"

Progress = Callable[[int], None]
# Renders `report` and stores it (archive.store_report), calling progress(percent) on the way.
Renderer = Callable[[Report, Progress], None]


class ReportStateError(RuleError):
    """A report asked to do what its state does not allow (retrying one that did not fail)."""


def init_app(app: Flask) -> None:
    app.extensions.setdefault(_RENDERERS, {})
    outbox.register_handler(app, RENDER_KIND, render_report_message)


def register_renderer(app: Flask, kind: str, renderer: Renderer) -> None:
    """Name the function that renders reports of `kind` (ReportKind); from an init_app."""
    renderers: dict[str, Renderer] = app.extensions.setdefault(_RENDERERS, {})
    if renderers.get(kind, renderer) is not renderer:
        raise ValueError(f"report kind {kind!r} already has another renderer")
    renderers[kind] = renderer


def queue_report(report: Report, *, actor: User | None) -> Report:
    """Add `report` (queued) and the outbox message that has the worker render it, in the
    caller's transaction."""
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.created_by_id = actor.id if actor is not None else None
    db.session.add(report)
    db.session.flush()
    outbox.enqueue(RENDER_KIND, {"report_id": report.id}, organisation_id=report.organisation_id)
    audit.record(
        "report.requested",
        actor_id=report.created_by_id,
        organisation_id=report.organisation_id,
        object_type="report",
        object_id=report.id,
        details={"kind": report.kind},
    )
    return report


def retry_report(report: Report, *, actor: User) -> None:
    """Queue a failed report again (a new outbox message)."""
    if report.status != ReportStatus.FAILED:
        raise ReportStateError(_l("Only a report that failed can be tried again."))
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.error = None
    report.finished_at = None
    db.session.flush()
    outbox.enqueue(RENDER_KIND, {"report_id": report.id}, organisation_id=report.organisation_id)
    audit.record(
        "report.retried",
        actor_id=actor.id,
        organisation_id=report.organisation_id,
        object_type="report",
        object_id=report.id,
    )


def render_report_message(payload: dict[str, Any]) -> None:
    """The outbox handler: render the report named by the payload unless it is done."""
    report = db.session.get(Report, int(payload["report_id"]))
    if report is None or report.status == ReportStatus.DONE:
        return
    report_id = report.id
    failure: Exception | None = None
    try:
        renderer: Renderer = current_app.extensions[_RENDERERS][report.kind]
        _set_progress(report_id, 5)
        renderer(report, lambda percent: _set_progress(report_id, percent))
        db.session.commit()
    except Exception as exc:
        failure = exc
    if failure is None:
        return
    db.session.rollback()
    reason = _reason(failure)
    with transaction():
        db.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(status=ReportStatus.FAILED, error=reason[:300], finished_at=utcnow())
        )
    # Dead on the admin's work page too, with the same reason, and not retried by itself:
    # staff retry the report once its cause is dealt with. Raised outside the `except`, so
    # that it carries nothing of the original exception, whose text may quote data.
    raise PermanentError(reason[:200])


def _reason(failure: Exception) -> str:
    """What staff read: a refusal's own message (it names parts and kinds, never values), or
    only the type of anything else."""
    if isinstance(failure, RuleError):
        return str(failure.message)
    log.warning("a report failed to render: %s", type(failure).__name__)
    return str(
        _l(
            "The report could not be rendered (%(error)s). Try again; if it fails "
            "again, tell the administrator.",
            error=type(failure).__name__,
        )
    )


def _set_progress(report_id: int, percent: int) -> None:
    """Committed at once, whatever else the session holds so far (the work before it is
    already part of the report): the polling page reads it from another connection."""
    with transaction():
        db.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(status=ReportStatus.RENDERING, progress=max(0, min(99, percent)))
        )
