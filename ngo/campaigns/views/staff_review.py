"""Review pages: the queue of what awaits a second person, an appeal's and an update's content
as readers will get it, and the approval that names exactly that content.

Each review page carries the digest of the content it shows in its approve form
(campaigns.review). A page view never writes: the snapshot of what the reviewer reads was kept
when it was sent for review. If the content changed since the page was opened, the approval
is refused (409) and the page shows what changed, with the new digest to approve after reading.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ngo.accounts import policy
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.policy import Action
from ngo.campaigns import cover, review, services, updates
from ngo.campaigns.forms_updates import ApproveForm, ReturnForm, UrgentForm
from ngo.campaigns.models import Appeal, AppealStatus
from ngo.campaigns.review import Change, ContentChangedError
from ngo.campaigns.views.staff import approval_blocker, back_to_appeal, bp, fallback_translation
from ngo.campaigns.views.staff_updates import (
    apply_update_change,
    load_update,
    render_update,
)
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.forms import given
from ngo.markdown import render_markdown
from ngo.money import Money
from ngo.unit_of_work import attempt


@bp.get("/reviews")
@staff_required(Action.VIEW_CASES)
def review_queue() -> str:
    """Appeals and updates awaiting a second person; urgent updates first."""
    membership = acting_membership()
    appeals = db.session.scalars(
        policy.scope(
            select(Appeal).where(Appeal.status == AppealStatus.IN_REVIEW.value),
            membership,
            Appeal.organisation_id,
        )
        .options(selectinload(Appeal.translations))
        .order_by(Appeal.id)
    ).all()
    return render_template(
        "campaigns/staff_review_queue.html",
        appeals=[(a, fallback_translation(a)) for a in appeals],
        updates=[
            (u, fallback_translation(u.appeal))
            for u in updates.awaiting_review(membership.organisation_id)
        ],
        languages=LANGUAGES,
    )


# Appeals ----------------------------------------------------------------------------------


def render_review(
    appeal: Appeal,
    status: int = 200,
    *,
    action_error: str | None = None,
    changes: list[Change] | None = None,
    changed: bool = False,
) -> tuple[str, int]:
    """The appeal as readers will get it, with the digest of exactly that in the form."""
    problems = services.publication_problems(appeal)
    form = ApproveForm(formdata=None)
    form.digest.data = review.appeal_digest(appeal)
    in_review = appeal.status == AppealStatus.IN_REVIEW.value
    return render_template(
        "campaigns/staff_review.html",
        appeal=appeal,
        texts=[(t, render_markdown(t.story_markdown)) for t in appeal.translations],
        lines=[(line, Money(line.amount_minor, appeal.currency)) for line in appeal.budget_lines],
        totals=services.totals(appeal),
        cover=cover.cover_of(appeal),
        problems=problems,
        approve_form=form,
        in_review=in_review,
        approval_blocker=approval_blocker(appeal, problems) if in_review else None,
        action_error=action_error,
        changes=changes,
        changed=changed,
        languages=LANGUAGES,
    ), status


@bp.get("/<slug>/review")
@staff_required(Action.VIEW_CASES)
def review_appeal(slug: str) -> tuple[str, int]:
    return render_review(load_in_organisation(Appeal, slug, Action.VIEW_CASES))


@bp.post("/<slug>/approve")
@staff_required(Action.APPROVE_APPEAL)
def approve(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.APPROVE_APPEAL)
    form = ApproveForm()
    if not form.validate():
        return render_review(appeal, 400, action_error=_("Open the review page again."))
    published = attempt(
        None,
        lambda: services.approve_and_publish(
            appeal, approver=current_user, digest=given(form.digest.data)
        ),
    )
    if published:
        return back_to_appeal(appeal, _("The appeal was published."))
    if isinstance(published.refusal, ContentChangedError):
        return render_review(
            appeal,
            409,
            action_error=published.message,
            changes=published.refusal.changes,
            changed=True,
        )
    return render_review(appeal, 400, action_error=published.message)


# Updates ----------------------------------------------------------------------------------


@bp.post("/<slug>/updates/<public_id>/approve")
@staff_required(Action.APPROVE_APPEAL)
def approve_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.APPROVE_APPEAL)
    update = load_update(appeal, public_id)
    form = ApproveForm()
    if not form.validate():
        return render_update(appeal, update, 400, action_error=_("Open the review page again."))
    return apply_update_change(
        appeal,
        update,
        lambda: updates.approve_update(
            update, approver=current_user, digest=given(form.digest.data)
        ),
        _("The update was published. Followers will receive it by e-mail."),
        then=url_for("appeals.appeal", slug=appeal.slug, _anchor="updates"),
    )


@bp.post("/<slug>/updates/<public_id>/return")
@staff_required(Action.APPROVE_APPEAL)
def return_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.APPROVE_APPEAL)
    update = load_update(appeal, public_id)
    form = ReturnForm()
    if form.validate() and attempt(
        form,
        lambda: updates.return_update(update, reason=given(form.reason.data), actor=current_user),
        field="reason",
    ):
        flash(_("The update went back to its author."), "success")
        return redirect(url_for("appeals.review_queue"))
    return render_update(appeal, update, 400, return_form=form)


@bp.post("/<slug>/updates/<public_id>/urgent")
@staff_required(Action.MARK_UPDATE_URGENT)
def mark_update_urgent(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.MARK_UPDATE_URGENT)
    update = load_update(appeal, public_id)
    form = UrgentForm()
    if not form.validate_on_submit() or form.urgent.data not in ("1", "0"):
        abort(400)
    marked = attempt(
        None,
        lambda: updates.mark_urgent(update, urgent=form.urgent.data == "1", actor=current_user),
    )
    if not marked:
        return render_update(appeal, update, 400, action_error=marked.message)
    flash(
        _("Marked as urgent: it is first in the review queue, and still needs a second person.")
        if update.urgent
        else _("No longer marked as urgent."),
        "success",
    )
    return redirect(url_for("appeals.update_page", slug=appeal.slug, public_id=update.public_id))
