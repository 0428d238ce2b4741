"""The Evidence tab: list, upload, listings, four-eyes check and download of documents."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts import policy
from ngo.accounts.access import (
    allow_larger_body,
    current_membership,
    find_in_organisation,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.policy import Action
from ngo.cases import evidence
from ngo.cases.forms_evidence import (
    CONTENT_TYPE_LABELS,
    KIND_LABELS,
    CheckEvidenceForm,
    ListingForm,
    UploadEvidenceForm,
)
from ngo.cases.models import Beneficiary, EvidenceItem, EvidenceKind
from ngo.cases.views import bp, record_view, render_case_tab
from ngo.forms import given
from ngo.unit_of_work import attempt, audited_read

# Room for the multipart framing and the other fields around the file itself.
UPLOAD_OVERHEAD = 64 * 1024


@bp.url_value_preprocessor
def _raise_size_limit_for_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before_request hook, and CSRF protection (one of
    # those hooks) parses the form: the larger limit has to be set before that, and only for
    # someone who may upload to this very case. Anyone else is refused at 1 MB, unread.
    if endpoint == "cases.upload_evidence" and values:
        case = find_in_organisation(Beneficiary, str(values.get("reference", "")))
        allow_larger_body(
            int(current_app.config["EVIDENCE_MAX_BYTES"]) + UPLOAD_OVERHEAD,
            Action.UPLOAD_EVIDENCE,
            case if case is not None and case.erased_at is None else None,
        )


def _render_tab(
    case: Beneficiary,
    status: int = 200,
    *,
    upload_form: UploadEvidenceForm | None = None,
    listing_form: ListingForm | None = None,
    check_form: CheckEvidenceForm | None = None,
) -> tuple[str, int]:
    """Every rendering lists titles and files of the person: each one is an audited view."""
    record_view(case, "evidence")
    membership = current_membership()
    writable = case.erased_at is None
    return render_case_tab(
        "cases/evidence.html",
        case,
        status,
        items=evidence.evidence_of(case),
        upload_form=upload_form or UploadEvidenceForm(prefix="upload", formdata=None),
        listing_form=listing_form or ListingForm(prefix="listing", formdata=None),
        check_form=check_form or CheckEvidenceForm(formdata=None),
        kind_labels={k.value: label for k, label in KIND_LABELS.items()},
        type_labels=CONTENT_TYPE_LABELS,
        file_size=evidence.format_size,
        may_upload=writable and policy.may(membership, Action.UPLOAD_EVIDENCE, case),
        may_download=policy.may(membership, Action.DOWNLOAD_EVIDENCE, case),
        may_check=writable and policy.may(membership, Action.CHECK_EVIDENCE, case),
        check_refusal=lambda item: evidence.check_refusal(item, current_user),
    )


# The endpoint is "cases.evidence", like the other tabs'; the function has another name
# because this module uses `evidence` for the service.
@bp.get("/<reference>/evidence", endpoint="evidence")
@staff_required(Action.VIEW_CASES)
def evidence_tab(reference: str) -> tuple[str, int]:
    return _render_tab(load_in_organisation(Beneficiary, reference, Action.VIEW_CASES))


@bp.post("/<reference>/evidence")
@staff_required(Action.UPLOAD_EVIDENCE)
def upload_evidence(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.UPLOAD_EVIDENCE)
    form = UploadEvidenceForm(prefix="upload")
    if form.validate_on_submit():
        upload = form.file.data
        uploaded = attempt(
            form,
            lambda: evidence.upload_evidence(
                case,
                kind=EvidenceKind(form.kind.data),
                title=given(form.title.data),
                data=upload.read(),
                filename=upload.filename or "",
                actor=current_user,
            ),
        )
        if uploaded:
            flash(_("The document was uploaded."), "success")
            content_type = uploaded.value.content_type
            if content_type and content_type.startswith("image/"):
                # People send phone photos: say plainly that where and when it was taken is gone.
                flash(
                    _(
                        "The photo was saved without its hidden data (location, camera, time "
                        "taken)."
                    ),
                    "info",
                )
            return redirect(url_for("cases.evidence", reference=reference))
    return _render_tab(case, 400, upload_form=form)


@bp.post("/<reference>/evidence/listing")
@staff_required(Action.UPLOAD_EVIDENCE)
def add_listing(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.UPLOAD_EVIDENCE)
    form = ListingForm(prefix="listing")
    if form.validate_on_submit() and attempt(
        form,
        lambda: evidence.add_listing(
            case,
            title=given(form.title.data),
            url=given(form.url.data),
            listed_on=given(form.listed_on.data),
            actor=current_user,
        ),
    ):
        flash(_("The listing was added."), "success")
        return redirect(url_for("cases.evidence", reference=reference))
    return _render_tab(case, 400, listing_form=form)


@bp.post("/<reference>/evidence/<int:item_id>/check")
@staff_required(Action.CHECK_EVIDENCE)
def check_evidence(reference: str, item_id: int) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.CHECK_EVIDENCE)
    item = load_in_organisation(
        EvidenceItem, item_id, Action.CHECK_EVIDENCE, EvidenceItem.beneficiary_id == case.id
    )
    form = CheckEvidenceForm()
    if not form.validate_on_submit():
        abort(400)
    checked = attempt(None, lambda: evidence.mark_checked(item, actor=current_user))
    if not checked:
        form.form_errors.append(checked.message)
        return _render_tab(case, 400, check_form=form)
    flash(_("The document is marked as checked."), "success")
    return redirect(url_for("cases.evidence", reference=reference))


@bp.get("/<reference>/evidence/<int:item_id>/download")
@staff_required(Action.DOWNLOAD_EVIDENCE)
def download_evidence(reference: str, item_id: int) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.DOWNLOAD_EVIDENCE)
    item = load_in_organisation(
        EvidenceItem, item_id, Action.DOWNLOAD_EVIDENCE, EvidenceItem.beneficiary_id == case.id
    )
    if item.destroyed_at is not None:
        abort(410)
    try:
        data = evidence.read_evidence_file(item)
    except evidence.EvidenceFileMissing:
        abort(404)
    # The audit event is committed before a single byte leaves.
    with audited_read():
        evidence.record_download(item, actor=current_user)
    response = Response(data, mimetype=item.content_type or "application/octet-stream")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{evidence.download_name(item)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it gets no scripts and no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
