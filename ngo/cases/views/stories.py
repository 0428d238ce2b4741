"""The story tab: the current text, its verification, the version history, the diff between two
versions, and the forms to write, submit and verify. Every page that shows story text records a
personal-data view in the audit log."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import current_membership, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.cases import services, stories
from ngo.cases import story_diff as diffs
from ngo.cases.forms_stories import (
    CHECK_HINTS,
    CHECK_LABELS,
    VERSION_STATUS_LABELS,
    StoryForm,
    VerifyForm,
)
from ngo.cases.models import Beneficiary, EvidenceItem, Story, StoryVersion, VersionStatus
from ngo.cases.services import CaseError
from ngo.cases.views import bp, load_case, render_case_tab
from ngo.extensions import db
from ngo.forms import given
from ngo.markdown import render_markdown


def _live_evidence(case: Beneficiary) -> list[EvidenceItem]:
    return list(
        db.session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.beneficiary_id == case.id,
                EvidenceItem.organisation_id == case.organisation_id,
                EvidenceItem.destroyed_at.is_(None),
            )
            .order_by(EvidenceItem.uploaded_at, EvidenceItem.id)
        )
    )


def _verify_form(case: Beneficiary) -> VerifyForm:
    form = VerifyForm()
    form.set_evidence_choices(_live_evidence(case))
    return form


def _story_form(latest: StoryVersion | None) -> StoryForm:
    form = StoryForm()
    if not form.is_submitted() and latest is not None:
        form.title.data = latest.title
        form.body.data = latest.body_markdown
    return form


def _record_view(case: Beneficiary) -> None:
    services.record_personal_data_view(case, actor=current_user, part="story")
    db.session.commit()


def _render_story(
    case: Beneficiary,
    status: int = 200,
    *,
    story_form: StoryForm | None = None,
    verify_form: VerifyForm | None = None,
) -> tuple[str, int]:
    """The story tab. Also used to show a refused form again, with its errors and a 400."""
    _record_view(case)
    story = stories.story_of(case)
    latest = stories.latest_version(story) if story else None
    verified = stories.verified_version(case) if story else None
    membership = current_membership()
    may_write = may(membership, Action.WRITE_STORY, case) and case.erased_at is None
    may_verify = may(membership, Action.VERIFY_STORY, case) and case.erased_at is None
    awaiting = latest is not None and latest.status == VersionStatus.SUBMITTED.value
    refusal = (
        stories.verification_refusal(latest, current_user)
        if awaiting and latest is not None
        else None
    )
    conflict = refusal is not None
    if may_write and story_form is None:
        story_form = _story_form(latest)
    show_verify_form = may_verify and awaiting and not conflict
    if show_verify_form and verify_form is None:
        verify_form = _verify_form(case)
    return render_case_tab(
        "cases/story.html",
        case,
        status,
        story=story,
        latest=latest,
        latest_html=render_markdown(latest.body_markdown) if latest else None,
        latest_decision=stories.last_decision(latest) if latest else None,
        verified=verified,
        approval=stories.approval_of(verified) if verified else None,
        may_write=may_write,
        may_verify=may_verify,
        awaiting=awaiting,
        four_eyes_conflict=conflict,
        four_eyes_refusal=refusal,
        story_form=story_form,
        verify_form=verify_form,
        show_verify_form=show_verify_form,
        has_evidence=bool(
            verify_form and len(verify_form.identity.form.evidence.choices or ()) > 1
        ),
        confirm_form=ConfirmForm(),
        **_labels(),
    )


def _labels() -> dict[str, Any]:
    return {
        "status_labels": VERSION_STATUS_LABELS,
        "check_labels": CHECK_LABELS,
        "check_hints": CHECK_HINTS,
        "format_date": format_date,
    }


def _story_or_404(case: Beneficiary) -> Story:
    story = stories.story_of(case)
    if story is None:
        abort(404)
    return story


def _version_or_404(story: Story, number: int) -> StoryVersion:
    version = stories.version_by_number(story, number)
    if version is None:
        abort(404)
    return version


def _attach_error(form: Any, exc: CaseError) -> None:
    """Show a service refusal beside its field (`identity-evidence` names a subform's field)."""
    target = None
    if exc.field:
        name, _sep, sub = exc.field.partition("-")
        target = getattr(form, name, None)
        if target is not None and sub:
            target = getattr(target.form, sub, None)
    if target is not None:
        target.errors = [*target.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


@bp.get("/<reference>/story")
@staff_required(Action.VIEW_CASES)
def story(reference: str) -> tuple[str, int]:
    return _render_story(load_case(reference))


@bp.post("/<reference>/story")
@staff_required(Action.VIEW_CASES)
def save_story(reference: str) -> Response | tuple[str, int]:
    case = load_case(reference, Action.WRITE_STORY)
    form = StoryForm()
    if not form.validate_on_submit():
        return _render_story(case, 400, story_form=form)
    try:
        version = stories.start_story(
            case, title=given(form.title.data), body=given(form.body.data), actor=current_user
        )
    except CaseError as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return _render_story(case, 400, story_form=form)
    db.session.commit()
    flash(_("Saved as version %(number)d (draft).", number=version.number), "success")
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/versions/<int:number>/submit")
@staff_required(Action.VIEW_CASES)
def submit_story(reference: str, number: int) -> Response:
    case = load_case(reference, Action.WRITE_STORY)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    version = _version_or_404(_story_or_404(case), number)
    try:
        stories.submit_for_verification(version, actor=current_user)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Version %(number)d was sent for verification.", number=number), "success")
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/reverify")
@staff_required(Action.VIEW_CASES)
def request_reverification(reference: str) -> Response:
    case = load_case(reference, Action.WRITE_STORY)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        version = stories.request_reverification(_story_or_404(case), actor=current_user)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(
            _(
                "The story was sent for verification again as version %(number)d.",
                number=version.number,
            ),
            "success",
        )
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/versions/<int:number>/verify")
@staff_required(Action.VIEW_CASES)
def verify_story(reference: str, number: int) -> Response | tuple[str, int]:
    case = load_case(reference, Action.VERIFY_STORY)
    version = _version_or_404(_story_or_404(case), number)
    form = _verify_form(case)
    if not form.validate_on_submit():
        return _render_story(case, 400, verify_form=form)
    approved = bool(form.approve.data)
    if not approved and not form.send_back.data:
        form.form_errors.append(_("Choose to approve the story or to return it."))
        return _render_story(case, 400, verify_form=form)
    checks = [
        stories.CheckResult(
            kind=kind,
            passed=bool(sub.form.passed.data),
            evidence_item_id=int(sub.form.evidence.data) if sub.form.evidence.data else None,
            note=sub.form.note.data,
        )
        for kind, sub in form.check_fields()
    ]
    try:
        stories.verify_version(
            version,
            verifier=current_user,
            approved=approved,
            checks=checks,
            comments=form.comments.data,
        )
    except CaseError as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return _render_story(case, 400, verify_form=form)
    db.session.commit()
    if approved:
        flash(_("Version %(number)d is verified.", number=number), "success")
    else:
        flash(_("Version %(number)d was returned to the caseworker.", number=number), "success")
    return redirect(url_for("cases.story", reference=reference))


@bp.get("/<reference>/story/versions/<int:number>")
@staff_required(Action.VIEW_CASES)
def story_version(reference: str, number: int) -> tuple[str, int]:
    case = load_case(reference)
    story = _story_or_404(case)
    version = _version_or_404(story, number)
    evidence = {item.id: item for item in _live_evidence(case)}
    _record_view(case)
    return render_case_tab(
        "cases/story_version.html",
        case,
        story=story,
        version=version,
        version_html=render_markdown(version.body_markdown),
        evidence=evidence,
        **_labels(),
    )


def _diff_numbers(story: Story) -> tuple[int | None, int | None, str | None, int]:
    """The two version numbers of the query string, or why they cannot be compared."""
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    if not (raw_from.isdigit() and raw_to.isdigit()) or len(raw_from + raw_to) > 12:
        return None, None, _("Choose two versions to compare, by their numbers."), 400
    old, new = int(raw_from), int(raw_to)
    if old == new:
        return old, new, _("Choose two different versions to compare."), 400
    missing = [n for n in (old, new) if stories.version_by_number(story, n) is None]
    if missing:
        return old, new, _("There is no version %(number)d of this story.", number=missing[0]), 404
    return old, new, None, 200


@bp.get("/<reference>/story/diff")
@staff_required(Action.VIEW_CASES)
def story_diff(reference: str) -> tuple[str, int]:
    case = load_case(reference)
    story = _story_or_404(case)
    old_number, new_number, problem, status = _diff_numbers(story)
    context: dict[str, Any] = {
        "story": story,
        "problem": problem,
        "old_number": old_number,
        "new_number": new_number,
    }
    if problem is None:
        # _diff_numbers found both versions when it saw no problem.
        old = given(stories.version_by_number(story, given(old_number)))
        new = given(stories.version_by_number(story, given(new_number)))
        context.update(
            old=old,
            new=new,
            title_diff=diffs.diff_words(old.title or "", new.title or ""),
            rows=diffs.diff_versions(old, new),
        )
        _record_view(case)
    return render_case_tab("cases/story_diff.html", case, status, **context, **_labels())
