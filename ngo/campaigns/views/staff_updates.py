"""Staff pages of appeal updates: post one (with an optional photo), withdraw one.

The routes live on the appeals blueprint, beside the appeal page they belong to. A refused
update shows the safety check's findings on that page, marked like the publication check's:
they repeat the person's private values, so showing them is recorded as a view of the case's
personal data, and they go nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import allow_larger_body, staff_required
from ngo.accounts.policy import Action
from ngo.campaigns import updates
from ngo.campaigns.forms_updates import UpdateForm
from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.campaigns.safety import Finding
from ngo.campaigns.services import VISIBLE, AppealError
from ngo.campaigns.updates import SafetyCheckError
from ngo.campaigns.views.staff import bp, find_appeal, load_appeal, render_appeal
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.extensions import db
from ngo.rules import show_on_form

# Room for the multipart framing and the other fields around the photo.
UPLOAD_OVERHEAD = 64 * 1024


@bp.url_value_preprocessor
def _raise_size_limit_for_photos(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF protection parses the form (see cases.views.evidence), and only for someone
    # who may post an update on this very appeal.
    if endpoint == "appeals.post_update" and values:
        appeal = find_appeal(str(values.get("slug", "")))
        allow_larger_body(updates.PHOTO_MAX_BYTES + UPLOAD_OVERHEAD, Action.POST_UPDATE, appeal)


def updates_section(
    appeal: Appeal,
    form: UpdateForm | None = None,
    findings: Sequence[Finding] = (),
) -> dict[str, object]:
    """What the appeal page's Updates section needs."""
    if form is None:
        form = UpdateForm(formdata=None)
        form.language.data = appeal.fallback_language
    return {
        "updates": updates.updates_of(appeal),
        "update_form": form,
        "update_findings": list(findings),
        "update_part_labels": {name: str(label) for name, label in updates.PART_LABELS.items()},
        "may_receive_updates": appeal.status in {s.value for s in VISIBLE},
    }


@bp.post("/<slug>/updates")
@staff_required(Action.POST_UPDATE)
def post_update(slug: str) -> Response | tuple[str, int]:
    appeal = load_appeal(slug, Action.POST_UPDATE)
    form = UpdateForm()
    findings: list[Finding] = []
    if form.validate():
        photo = form.photo.data
        data = photo.read() if photo is not None and getattr(photo, "filename", "") else None
        try:
            updates.post_update(
                appeal,
                language=form.language.data,
                title=form.title.data,
                body_markdown=form.body_markdown.data or "",
                image_bytes=data or None,
                alt_text=form.alt_text.data or "",
                actor=current_user,
            )
        except SafetyCheckError as exc:
            db.session.rollback()
            show_on_form(form, exc)
            findings = exc.findings
            case = db.session.get(Beneficiary, appeal.beneficiary_id)
            if case is not None and any(f.end > f.start for f in findings):
                record_personal_data_view(case, actor=current_user, part="appeal_update_check")
                db.session.commit()
        except AppealError as exc:
            db.session.rollback()
            show_on_form(form, exc)
        else:
            db.session.commit()
            flash(_("The update was posted. Followers will receive it by e-mail."), "success")
            return redirect(url_for("appeals.appeal", slug=slug, _anchor="updates"))
    return render_appeal(appeal, 400, updates=updates_section(appeal, form, findings))


@bp.post("/<slug>/updates/<public_id>/withdraw")
@staff_required(Action.POST_UPDATE)
def withdraw_update(slug: str, public_id: str) -> Response | tuple[str, int]:
    appeal = load_appeal(slug, Action.POST_UPDATE)
    update = db.session.scalars(
        select(AppealUpdate).where(
            AppealUpdate.appeal_id == appeal.id, AppealUpdate.public_id == public_id
        )
    ).first()
    if update is None:
        abort(404)
    try:
        updates.withdraw_update(update, current_user)
    except AppealError as exc:
        db.session.rollback()
        return render_appeal(appeal, 400, action_error=str(exc.message))
    db.session.commit()
    flash(_("The update was withdrawn from the public page."), "success")
    return redirect(url_for("appeals.appeal", slug=slug, _anchor="updates"))
