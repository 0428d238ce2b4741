"""The consent tab: what the person agreed to share, with whom, and its history."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.cases import consent as consent_service
from ngo.cases.forms import CONSENT_AUDIENCE_LABELS, CONSENT_ITEM_LABELS, ConsentForm
from ngo.cases.models import (
    Beneficiary,
    Consent,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
)
from ngo.cases.views import bp, record_view, render_case_tab
from ngo.extensions import db
from ngo.forms import given
from ngo.unit_of_work import attempt


def _consent_form(case: Beneficiary) -> ConsentForm:
    form = ConsentForm()
    forms = db.session.scalars(
        select(EvidenceItem).where(
            EvidenceItem.beneficiary_id == case.id,
            EvidenceItem.kind == EvidenceKind.CONSENT_FORM.value,
            EvidenceItem.destroyed_at.is_(None),
        )
    ).all()
    form.form_evidence_id.choices = [("", _("None"))] + [
        (str(item.id), item.title or f"#{item.id}") for item in forms
    ]
    if not form.is_submitted():
        form.given_on.data = date.today()
    return form


def _render(case: Beneficiary, form: ConsentForm, status: int = 200) -> tuple[str, int]:
    # The history names witnesses and the person's signed forms: every rendering is a view.
    record_view(case, "consent")
    history = consent_service.consent_history(case.id)
    today = date.today()
    in_force = {(c.item, c.audience) for c in history if c.in_force(today)}
    return render_case_tab(
        "cases/consent.html",
        case,
        status,
        form=form,
        history=history,
        in_force=in_force,
        today=today,
        item_labels=CONSENT_ITEM_LABELS,
        audience_labels=CONSENT_AUDIENCE_LABELS,
        confirm_form=ConfirmForm(),
    )


@bp.get("/<reference>/consent")
@staff_required(Action.VIEW_CASES)
def consent(reference: str) -> tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    return _render(case, _consent_form(case))


@bp.post("/<reference>/consent")
@staff_required(Action.MANAGE_CONSENT)
def record_consent(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.MANAGE_CONSENT)
    form = _consent_form(case)
    if not form.validate_on_submit():
        return _render(case, form, 400)
    recorded = attempt(
        form,
        lambda: consent_service.record_consent(
            case,
            items=[ConsentItem(i) for i in given(form.items.data)],
            audiences=[ConsentAudience(a) for a in given(form.audiences.data)],
            given_on=given(form.given_on.data),
            expires_on=form.expires_on.data,
            method=ConsentMethod(form.method.data),
            witness_name=form.witness_name.data,
            form_evidence_id=int(form.form_evidence_id.data)
            if form.form_evidence_id.data
            else None,
            actor=current_user,
        ),
    )
    if not recorded:
        return _render(case, form, 400)
    flash(_("Consent recorded."), "success")
    return redirect(url_for("cases.consent", reference=reference))


@bp.post("/<reference>/consent/<int:consent_id>/withdraw")
@staff_required(Action.MANAGE_CONSENT)
def withdraw_consent(reference: str, consent_id: int) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.MANAGE_CONSENT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record = db.session.get(Consent, consent_id)
    if record is None or record.beneficiary_id != case.id:
        abort(404)
    consent_service.withdraw_consent(record, actor=current_user)
    flash(_("Consent withdrawn. It no longer applies anywhere, from now on."), "success")
    return redirect(url_for("cases.consent", reference=reference))
