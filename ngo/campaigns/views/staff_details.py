"""Staff pages: an appeal's details (categories, country, deadline, update promise), its cover
photo, and its budget labels in more languages."""

from __future__ import annotations

from typing import Any

from flask import abort, make_response
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts.access import (
    allow_larger_body,
    find_in_organisation,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.campaigns import cover, details, images
from ngo.campaigns.forms import AllocationForm, CoverPhotoForm
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.campaigns.updates import PHOTO_MAX_BYTES
from ngo.campaigns.views.sections import UPLOAD_OVERHEAD, details_form, line_text_form
from ngo.campaigns.views.staff import back_to_appeal, bp, render_appeal
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.extensions import db
from ngo.forms import given
from ngo.unit_of_work import attempt, audited_read


@bp.post("/<slug>/details")
@staff_required(Action.EDIT_APPEAL)
def save_details(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    form = details_form()
    status_before = appeal.status
    if form.validate() and attempt(
        form,
        lambda: details.set_details(
            appeal,
            categories=list(form.categories.data or []),
            country=form.country.data or None,
            deadline=form.deadline.data,
            update_interval_days=given(form.update_interval_days.data),
            actor=current_user,
        ),
    ):
        return back_to_appeal(appeal, _("The details were saved."), status_before=status_before)
    return render_appeal(appeal, 400, details_form=form)


@bp.post("/<slug>/allocation")
@staff_required(Action.EDIT_APPEAL)
def save_allocation(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    form = AllocationForm()
    status_before = appeal.status
    if form.validate() and attempt(
        form,
        lambda: details.set_allocation(
            appeal,
            rule=form.allocation_rule.data or "",
            policy=form.overfunding_policy.data or "",
            actor=current_user,
        ),
    ):
        return back_to_appeal(
            appeal, _("The giving rules were saved."), status_before=status_before, anchor="giving"
        )
    return render_appeal(appeal, 400, allocation_form=form)


@bp.post("/<slug>/lines/<int:line_id>/text")
@staff_required(Action.EDIT_APPEAL)
def save_line_text(slug: str, line_id: int) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.appeal_id != appeal.id:
        abort(404)
    form = line_text_form(line, from_request=True)
    status_before = appeal.status
    if form.validate() and attempt(
        form,
        lambda: details.set_line_text(
            line,
            language=form.language.data,
            label=given(form.label.data),
            description=form.description.data or "",
            actor=current_user,
        ),
    ):
        return back_to_appeal(appeal, _("The label was saved."), status_before=status_before)
    return render_appeal(appeal, 400, line_text_forms={line.id: form})


@bp.url_value_preprocessor
def _raise_size_limit_for_cover(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF protection parses the form, and only for someone who may edit this appeal.
    if endpoint == "appeals.save_cover" and values:
        appeal = find_in_organisation(Appeal, str(values.get("slug", "")))
        allow_larger_body(PHOTO_MAX_BYTES + UPLOAD_OVERHEAD, Action.EDIT_APPEAL, appeal)


@bp.post("/<slug>/cover")
@staff_required(Action.EDIT_APPEAL)
def save_cover(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    form = CoverPhotoForm()
    status_before = appeal.status
    if form.validate() and attempt(
        form,
        lambda: cover.set_cover_photo(
            appeal,
            image_bytes=form.photo.data.read(),
            alt_text=given(form.alt_text.data),
            actor=current_user,
        ),
    ):
        return back_to_appeal(
            appeal,
            _("The photo was saved. It becomes public when a second person approves the appeal."),
            status_before=status_before,
            anchor="cover",
        )
    return render_appeal(appeal, 400, cover_form=form)


@bp.post("/<slug>/cover/remove")
@staff_required(Action.EDIT_APPEAL)
def remove_cover(slug: str) -> Response:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    status_before = appeal.status
    cover.remove_cover_photo(appeal, actor=current_user)
    return back_to_appeal(appeal, status_before=status_before, anchor="cover")


@bp.get("/<slug>/cover")
@staff_required(Action.VIEW_CASES)
def cover_image(slug: str) -> Response:
    """The cover for staff, before or after publication: decrypted while it awaits approval
    (the public /media route serves it only once approved, while the appeal is listed)."""
    appeal = load_in_organisation(Appeal, slug, Action.VIEW_CASES)
    image = cover.cover_of(appeal)
    if image is None:
        abort(404)
    # A photo of the person, shown to staff before anyone approved it: an audited view.
    person = db.session.get_one(Beneficiary, appeal.beneficiary_id)
    with audited_read():
        record_personal_data_view(person, actor=current_user, part="cover_photo")
    response = make_response(images.image_bytes(image))
    response.headers["Content-Type"] = image.content_type
    return response
