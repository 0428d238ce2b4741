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

from ngo.accounts.access import current_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.cases import stories, story_checks, verification
from ngo.cases import story_diff as diffs
from ngo.cases.forms_stories import (
    CHECK_HINTS,
    CHECK_LABELS,
    VERSION_STATUS_LABELS,
    StoryForm,
    VerifyForm,
)
from ngo.cases.models import Beneficiary, EvidenceItem, Story, StoryVersion, VersionStatus
from ngo.cases.views import bp, record_view, render_case_tab
from ngo.extensions import db
from ngo.forms import given
from ngo.markdown import render_markdown
from ngo.unit_of_work import attempt


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


def _render_story(
    case: Beneficiary,
    status: int = 200,
    *,
    story_form: StoryForm | None = None,
    verify_form: VerifyForm | None = None,
    preview: tuple[str, str] | None = None,
) -> tuple[str, int]:
    """The story tab. Also used to show a refused form again, with its errors and a 400, and
    a `preview` (title, text) of what is being written, which is not saved."""
    record_view(case, "story")
    story = stories.story_of(case)
    latest = stories.latest_version(story) if story else None
    verified = stories.verified_version(case) if story else None
    membership = current_membership()
    may_write = may(membership, Action.WRITE_STORY, case) and case.erased_at is None
    may_verify = may(membership, Action.VERIFY_STORY, case) and case.erased_at is None
    awaiting = latest is not None and latest.status == VersionStatus.SUBMITTED.value
    # Only the decisions verify_version would take are offered: none to the story's author
    # (four eyes), and no Approve while the case has no evidence to cite.
    refusals = (
        verification.decision_refusals(latest, current_user)
        if awaiting and may_verify and latest is not None
        else None
    )
    refusal = refusals.send_back if refusals else None
    conflict = refusal is not None
    if may_write and story_form is None:
        story_form = _story_form(latest)
    show_verify_form = may_verify and awaiting and not conflict
    if show_verify_form and verify_form is None:
        verify_form = _verify_form(case)
    # While the story is being written (a preview, or a draft or returned version), the
    # writer sees what the publication check will find, not only when an appeal is published.
    checked = preview
    if checked is None and may_write and latest is not None and latest.status in _BEING_WRITTEN:
        checked = (latest.title or "", latest.body_markdown or "")
    return render_case_tab(
        "cases/story.html",
        case,
        status,
        preview_title=preview[0] if preview else None,
        preview_html=render_markdown(preview[1]) if preview else None,
        safety_findings=(
            story_checks.story_findings(case, title=checked[0], body=checked[1])
            if checked
            else None
        ),
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
        approve_refusal=refusals.approve if refusals else None,
        confirm_form=ConfirmForm(),
        **_labels(),
    )


_BEING_WRITTEN = (VersionStatus.DRAFT.value, VersionStatus.RETURNED.value)


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


@bp.get("/<reference>/story")
@staff_required(Action.VIEW_CASES)
def story(reference: str) -> tuple[str, int]:
    return _render_story(load_in_organisation(Beneficiary, reference, Action.VIEW_CASES))


@bp.post("/<reference>/story")
@staff_required(Action.VIEW_CASES)
def save_story(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.WRITE_STORY)
    form = StoryForm()
    if not form.validate_on_submit():
        return _render_story(case, 400, story_form=form)
    if form.preview.data:
        return _render_story(
            case, story_form=form, preview=(given(form.title.data), given(form.body.data))
        )
    saved = attempt(
        form,
        lambda: stories.start_story(
            case, title=given(form.title.data), body=given(form.body.data), actor=current_user
        ),
    )
    if not saved:
        return _render_story(case, 400, story_form=form)
    flash(_("Saved as version %(number)d (draft).", number=saved.value.number), "success")
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/versions/<int:number>/submit")
@staff_required(Action.VIEW_CASES)
def submit_story(reference: str, number: int) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.WRITE_STORY)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    version = _version_or_404(_story_or_404(case), number)
    submitted = attempt(None, lambda: stories.submit_for_verification(version, actor=current_user))
    if submitted:
        flash(_("Version %(number)d was sent for verification.", number=number), "success")
    else:
        flash(submitted.message, "error")
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/reverify")
@staff_required(Action.VIEW_CASES)
def request_reverification(reference: str) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.WRITE_STORY)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    story = _story_or_404(case)
    sent = attempt(None, lambda: stories.request_reverification(story, actor=current_user))
    if sent:
        flash(
            _(
                "The story was sent for verification again as version %(number)d.",
                number=sent.value.number,
            ),
            "success",
        )
    else:
        flash(sent.message, "error")
    return redirect(url_for("cases.story", reference=reference))


@bp.post("/<reference>/story/versions/<int:number>/verify")
@staff_required(Action.VIEW_CASES)
def verify_story(reference: str, number: int) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VERIFY_STORY)
    version = _version_or_404(_story_or_404(case), number)
    form = _verify_form(case)
    if not form.validate_on_submit():
        return _render_story(case, 400, verify_form=form)
    approved = bool(form.approve.data)
    if not approved and not form.send_back.data:
        form.form_errors.append(_("Choose to approve the story or to return it."))
        return _render_story(case, 400, verify_form=form)
    checks = [
        verification.CheckResult(
            kind=kind,
            passed=bool(sub.form.passed.data),
            evidence_item_ids=tuple(sub.form.evidence.data or ()),
            note=sub.form.note.data,
        )
        for kind, sub in form.check_fields()
    ]
    decided = attempt(
        form,
        lambda: verification.verify_version(
            version,
            verifier=current_user,
            approved=approved,
            checks=checks,
            comments=form.comments.data,
        ),
    )
    if not decided:
        return _render_story(case, 400, verify_form=form)
    if approved:
        flash(_("Version %(number)d is verified.", number=number), "success")
    else:
        flash(_("Version %(number)d was returned to the caseworker.", number=number), "success")
    return redirect(url_for("cases.story", reference=reference))


@bp.get("/<reference>/story/versions/<int:number>")
@staff_required(Action.VIEW_CASES)
def story_version(reference: str, number: int) -> tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    story = _story_or_404(case)
    version = _version_or_404(story, number)
    evidence = {item.id: item for item in _live_evidence(case)}
    record_view(case, "story")
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
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
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
        record_view(case, "story")
    return render_case_tab("cases/story_diff.html", case, status, **context, **_labels())
