"""The staff queue of readers' concern reports, at /staff/concerns.

Only the acting organisation's reports are listed or can be handled: another organisation's
report is a 404, as if it did not exist. Reports are shown decrypted (what the reader wrote
and the address they left): each showing of the queue is in the audit log, without them.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo import audit
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.campaigns import concerns
from ngo.campaigns.labels import CONCERN_KIND_LABELS
from ngo.campaigns.models import ConcernReport
from ngo.campaigns.presentation import translation_for
from ngo.unit_of_work import attempt, audited_read

concerns_bp = Blueprint("concerns", __name__, url_prefix="/staff/concerns")


def _render_queue(status: int = 200, action_error: str | None = None) -> tuple[str, int]:
    membership = acting_membership()
    locale = str(get_locale())
    reports = concerns.open_concerns(membership.organisation_id)
    with audited_read():
        audit.record(
            "appeal.concerns_viewed",
            actor_id=current_user.id,
            organisation_id=membership.organisation_id,
            details={"count": len(reports)},
        )
    return render_template(
        "campaigns/staff_concerns.html",
        reports=reports,
        kind_label=lambda kind: str(CONCERN_KIND_LABELS.get(kind, kind)),
        appeal_title=lambda appeal: t.title if (t := translation_for(appeal, locale)) else "",
        confirm_form=ConfirmForm(),
        action_error=action_error,
    ), status


@concerns_bp.get("")
@staff_required(Action.HANDLE_CONCERNS)
def queue() -> tuple[str, int]:
    return _render_queue()


def _close(reference: str, *, dismissed: bool) -> Response | tuple[str, int]:
    report = load_in_organisation(ConcernReport, reference, Action.HANDLE_CONCERNS)
    closed = attempt(
        None, lambda: concerns.resolve_concern(report, actor=current_user, dismissed=dismissed)
    )
    if not closed:
        return _render_queue(400, action_error=closed.message)
    flash(
        _("The concern was dismissed.") if dismissed else _("The concern was marked resolved."),
        "success",
    )
    return redirect(url_for("concerns.queue"))


@concerns_bp.post("/<reference>/resolve")
@staff_required(Action.HANDLE_CONCERNS)
def resolve(reference: str) -> Response | tuple[str, int]:
    return _close(reference, dismissed=False)


@concerns_bp.post("/<reference>/dismiss")
@staff_required(Action.HANDLE_CONCERNS)
def dismiss(reference: str) -> Response | tuple[str, int]:
    return _close(reference, dismissed=True)
