"""Staff pages of appeal updates: draft one (with an optional photo), change it, send it for
review, discard it, look at one (its photo too, before it is public), withdraw it. Approving
and returning are on the review pages (views/staff_review.py).

The routes live on the appeals blueprint, beside the appeal page they belong to. A refused
save shows the safety check's findings, marked like the publication check's: they repeat the
person's private values, so showing them is recorded as a view of the case's personal data,
and they go nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts.access import (
    allow_larger_body,
    current_membership,
    find_in_organisation,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.campaigns import images, review, updates
from ngo.campaigns.forms_updates import ApproveForm, ReturnForm, UpdateForm, UrgentForm
from ngo.campaigns.models import Appeal, AppealUpdate, UpdateState
from ngo.campaigns.review import Change, ContentChangedError
from ngo.campaigns.safety import Finding
from ngo.campaigns.updates import SafetyCheckError
from ngo.campaigns.views.sections import UPLOAD_OVERHEAD, state_label, updates_section
from ngo.campaigns.views.staff import bp, highlight, render_appeal
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.forms import given
from ngo.markdown import render_markdown
from ngo.unit_of_work import Attempt, attempt, audited_read

_PHOTO_ENDPOINTS = frozenset({"appeals.post_update", "appeals.edit_update"})


@bp.url_value_preprocessor
def _raise_size_limit_for_photos(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF protection parses the form (see cases.views.evidence), and only for someone
    # who may post an update on this very appeal.
    if endpoint in _PHOTO_ENDPOINTS and values:
        appeal = find_in_organisation(Appeal, str(values.get("slug", "")))
        allow_larger_body(updates.PHOTO_MAX_BYTES + UPLOAD_OVERHEAD, Action.POST_UPDATE, appeal)


def load_update(appeal: Appeal, public_id: str) -> AppealUpdate:
    update = updates.update_of(appeal, public_id)
    if update is None:
        abort(404)
    return update


def _photo(form: UpdateForm) -> bytes | None:
    photo = form.photo.data
    data = photo.read() if photo is not None and getattr(photo, "filename", None) else None
    return data or None


def show_findings(appeal: Appeal, exc: SafetyCheckError) -> list[Finding]:
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    if case is not None and any(f.end > f.start for f in exc.findings):
        with audited_read():
            record_personal_data_view(case, actor=current_user, part="appeal_update_check")
    return exc.findings


def findings_of(appeal: Appeal, refused: Attempt[Any]) -> list[Finding]:
    """What to show beside a refused form: the safety check's findings, if it refused."""
    if isinstance(refused.refusal, SafetyCheckError):
        return show_findings(appeal, refused.refusal)
    return []


def render_update(
    appeal: Appeal,
    update: AppealUpdate,
    status: int = 200,
    *,
    form: UpdateForm | None = None,
    findings: Sequence[Finding] = (),
    return_form: ReturnForm | None = None,
    action_error: str | None = None,
    changes: list[Change] | None = None,
    changed: bool = False,
) -> tuple[str, int]:
    """One update for staff: as it will read, its state, and what the viewer may do."""
    membership = current_membership()
    if form is None:
        form = UpdateForm(formdata=None, obj=update)
        form.alt_text.data = update.image.alt_text if update.image else ""
    approve_form = ApproveForm(formdata=None)
    approve_form.digest.data = review.update_digest(update)
    in_review = update.state == UpdateState.IN_REVIEW.value
    return render_template(
        "campaigns/staff_update.html",
        appeal=appeal,
        update=update,
        state=updates.display_state(update),
        state_label=state_label(update),
        body_html=render_markdown(update.body_markdown),
        form=form,
        findings=list(findings),
        part_labels={name: str(label) for name, label in updates.PART_LABELS.items()},
        highlight=highlight,
        confirm_form=ConfirmForm(),
        approve_form=approve_form,
        return_form=return_form or ReturnForm(formdata=None),
        urgent_form=UrgentForm(formdata=None),
        approval_blocker=updates.approval_refusal(update, current_user) if in_review else None,
        may_edit=may(membership, Action.POST_UPDATE, appeal) and update.state in updates.PENDING,
        may_approve=may(membership, Action.APPROVE_APPEAL, appeal) and in_review,
        may_mark_urgent=may(membership, Action.MARK_UPDATE_URGENT, appeal)
        and update.state in updates.PENDING,
        may_withdraw=may(membership, Action.POST_UPDATE, appeal)
        and update.state == UpdateState.PUBLISHED.value
        and update.withdrawn_at is None,
        action_error=action_error,
        changes=changes,
        changed=changed,
        languages=LANGUAGES,
    ), status


def _back(appeal: Appeal, update: AppealUpdate | None = None) -> Response:
    if update is None:
        return redirect(url_for("appeals.appeal", slug=appeal.slug, _anchor="updates"))
    return redirect(url_for("appeals.update_page", slug=appeal.slug, public_id=update.public_id))


@bp.post("/<slug>/updates")
@staff_required(Action.POST_UPDATE)
def post_update(slug: str) -> Response | tuple[str, int]:
    """Save a new update as a draft (nothing of it is public yet)."""
    appeal = load_in_organisation(Appeal, slug, Action.POST_UPDATE)
    form = UpdateForm()
    findings: list[Finding] = []
    if form.validate():
        drafted = attempt(
            form,
            lambda: updates.draft_update(
                appeal,
                language=form.language.data,
                title=given(form.title.data),
                body_markdown=form.body_markdown.data or "",
                image_bytes=_photo(form),
                alt_text=form.alt_text.data or "",
                actor=current_user,
            ),
        )
        if drafted:
            flash(
                _(
                    "The draft was saved. Send it for review when it is ready: it becomes "
                    "public once a second person approves it."
                ),
                "success",
            )
            return _back(appeal, drafted.value)
        findings = findings_of(appeal, drafted)
    return render_appeal(appeal, 400, updates=updates_section(appeal, form, findings))


@bp.get("/<slug>/updates/<public_id>")
@staff_required(Action.VIEW_CASES)
def update_page(slug: str, public_id: str) -> tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.VIEW_CASES)
    return render_update(appeal, load_update(appeal, public_id))


@bp.post("/<slug>/updates/<public_id>/edit")
@staff_required(Action.POST_UPDATE)
def edit_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.POST_UPDATE)
    update = load_update(appeal, public_id)
    form = UpdateForm()
    findings: list[Finding] = []
    if form.validate():
        edited = attempt(
            form,
            lambda: updates.edit_update(
                update,
                language=form.language.data,
                title=given(form.title.data),
                body_markdown=form.body_markdown.data or "",
                image_bytes=_photo(form),
                alt_text=form.alt_text.data or "",
                remove_photo=bool(form.remove_photo.data),
                actor=current_user,
            ),
        )
        if not edited:
            findings = findings_of(appeal, edited)
            return render_update(appeal, update, 400, form=form, findings=findings)
        flash(_("The update was saved."), "success")
        if edited.value:
            flash(
                _(
                    "It was awaiting review: your change sent it back to draft, because its "
                    "reviewer had not read it. Send it for review again when it is ready."
                ),
                "info",
            )
        return _back(appeal, update)
    return render_update(appeal, update, 400, form=form, findings=findings)


def _act(
    appeal: Appeal, update: AppealUpdate, change: Callable[[], object], done: str
) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return apply_update_change(appeal, update, change, done)


def apply_update_change(
    appeal: Appeal,
    update: AppealUpdate,
    change: Callable[[], object],
    done: str,
    then: str | None = None,
) -> Response | tuple[str, int]:
    """Run one change of an update and go to `then` (the update's page by default), or show
    the update page with the refusal (the difference, if its content changed since the
    approver read it; the findings, if the safety check refused it)."""
    changed = attempt(None, change)
    if changed:
        flash(done, "success")
        return redirect(then) if then else _back(appeal, update)
    refusal = changed.refusal
    if isinstance(refusal, ContentChangedError):
        return render_update(
            appeal,
            update,
            409,
            action_error=changed.message,
            changes=refusal.changes,
            changed=True,
        )
    findings = findings_of(appeal, changed)
    return render_update(appeal, update, 400, findings=findings, action_error=changed.message)


@bp.post("/<slug>/updates/<public_id>/submit")
@staff_required(Action.POST_UPDATE)
def submit_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.POST_UPDATE)
    update = load_update(appeal, public_id)
    return _act(
        appeal,
        update,
        lambda: updates.submit_update(update, actor=current_user),
        _("The update was sent for review."),
    )


@bp.post("/<slug>/updates/<public_id>/discard")
@staff_required(Action.POST_UPDATE)
def discard_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.POST_UPDATE)
    update = load_update(appeal, public_id)
    response = _act(
        appeal,
        update,
        lambda: updates.discard_update(update, actor=current_user),
        _("The draft was discarded."),
    )
    return _back(appeal) if isinstance(response, Response) else response


@bp.post("/<slug>/updates/<public_id>/withdraw")
@staff_required(Action.POST_UPDATE)
def withdraw_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.POST_UPDATE)
    update = load_update(appeal, public_id)
    withdrawn = attempt(None, lambda: updates.withdraw_update(update, current_user))
    if not withdrawn:
        return render_appeal(appeal, 400, action_error=withdrawn.message)
    flash(_("The update was withdrawn from the public page."), "success")
    return _back(appeal)


@bp.get("/<slug>/updates/<public_id>/photo")
@staff_required(Action.VIEW_CASES)
def update_photo(slug: str, public_id: str) -> Response:
    """The update's photo for staff: decrypted while it awaits approval (the public /media
    route serves it only once the update is published)."""
    appeal = load_in_organisation(Appeal, slug, Action.VIEW_CASES)
    update = load_update(appeal, public_id)
    data = images.image_bytes(update.image) if update.image is not None else None
    if update.image is None or data is None:
        abort(404)
    # A photo from the person's life, possibly before anyone approved it: an audited view.
    person = db.session.get_one(Beneficiary, appeal.beneficiary_id)
    with audited_read():
        record_personal_data_view(person, actor=current_user, part="update_photo")
    response = make_response(data)
    response.headers["Content-Type"] = update.image.content_type
    return response
