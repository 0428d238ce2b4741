"""The worker's work for an admin: queued, running, failed and dead outbox messages of the
acting organisation, with the last error and a Retry for what failed or died.

The outbox rows are the source of truth (ngo/outbox/); accounts/work.py says which an admin
sees. Errors are shown as stored: the class name
and a safe message, never an exception's own text.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ngo import audit, outbox
from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.accounts.views import admin_bp
from ngo.accounts.work import visible_work
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus
from ngo.timeutil import utcnow

SHOWN_PER_STATUS = 100
STATUS_LABELS = {
    WorkStatus.QUEUED: _l("Queued"),
    WorkStatus.RUNNING: _l("Running"),
    WorkStatus.FAILED: _l("Failed, will be tried again"),
    WorkStatus.DEAD: _l("Dead: will not be tried again unless retried"),
}
RETRYABLE = frozenset({WorkStatus.FAILED, WorkStatus.DEAD})


@admin_bp.get("/work")
@staff_required(Action.MANAGE_WORK)
def work() -> str:
    membership = acting_membership()
    now = utcnow()
    visible = visible_work(membership)
    sections = []
    for status, label in STATUS_LABELS.items():
        condition = outbox.status_filter(status, now)
        count = db.session.scalar(select(func.count(OutboxMessage.id)).where(visible, condition))
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(visible, condition)
            .order_by(OutboxMessage.id.desc())
            .limit(SHOWN_PER_STATUS)
        ).all()
        sections.append((status, label, count, rows))
    sent_today = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            visible, OutboxMessage.sent_at >= now - timedelta(days=1)
        )
    )
    return render_template(
        "admin/work.html",
        sections=sections,
        sent_today=sent_today,
        retryable=RETRYABLE,
        confirm_form=ConfirmForm(),
        now=now,
    )


@admin_bp.post("/work/<int:message_id>/retry")
@staff_required(Action.MANAGE_WORK)
def retry_work(message_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    membership = acting_membership()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id, visible_work(membership))
    )
    if message is None:
        abort(404)
    status = outbox.status_of(message)
    if status not in RETRYABLE:
        flash(_("Only failed or dead work can be retried; this is %(s)s.", s=status.value), "error")
        return redirect(url_for("admin.work"))
    outbox.retry_message(message.id)
    audit.record(
        "outbox.retried",
        actor_id=membership.user_id,
        organisation_id=message.organisation_id,
        object_type="outbox_message",
        object_id=message.id,
        details={"kind": message.kind, "was": status.value, "error": message.last_error},
    )
    flash(_("It will be tried again now."), "success")
    return redirect(url_for("admin.work"))
