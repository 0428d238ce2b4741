"""Data-subject rights of a case: download a copy of everything, or erase it. Admins only."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length

from ngo.accounts import policy
from ngo.accounts.access import current_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.cases.models import Beneficiary
from ngo.cases.rights import ERASURE_REASON_LABELS, erase_case, export_case
from ngo.cases.views import bp, render_case_tab
from ngo.forms import given


class EraseForm(FlaskForm):
    reason = SelectField(
        _l("Why is the case erased?"),
        choices=[
            SelectChoice(reason.value, label) for reason, label in ERASURE_REASON_LABELS.items()
        ],
    )
    confirmation = StringField(
        _l("Type the case reference to confirm"),
        validators=[
            DataRequired(message=_l("Type the case reference to confirm.")),
            Length(max=32),
        ],
    )
    submit = SubmitField(_l("Erase this person's data"))


def _page(case: Beneficiary, erase_form: EraseForm, status: int = 200) -> tuple[str, int]:
    return render_case_tab(
        "cases/rights.html",
        case,
        status,
        export_form=ConfirmForm(),
        erase_form=erase_form,
        may_erase=policy.may(current_membership(), Action.ERASE_CASE, case),
    )


@bp.get("/<reference>/rights", endpoint="rights")
@staff_required(Action.VIEW_CASES)
def rights_page(reference: str) -> tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.EXPORT_CASE)
    return _page(case, EraseForm())


@bp.post("/<reference>/export", endpoint="export")
@staff_required(Action.VIEW_CASES)
def export_view(reference: str) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.EXPORT_CASE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # The export's audit event is committed with the 200 answer, before the file leaves.
    data = export_case(case, actor=current_user)
    response = Response(data, mimetype="application/zip")
    # The reference only: a file name with the person's name would give them away in a
    # downloads folder or a browser history.
    response.headers["Content-Disposition"] = f'attachment; filename="case-{case.reference}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<reference>/erase", endpoint="erase")
@staff_required(Action.VIEW_CASES)
def erase_view(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.ERASE_CASE)
    form = EraseForm()
    if form.validate_on_submit():
        if given(form.confirmation.data).strip() != case.reference:
            form.confirmation.errors = [
                _("This is not the reference of this case. Nothing was erased.")
            ]
        else:
            erase_case(case, actor=current_user, reason_code=form.reason.data)
            flash(_("The personal data of this case was erased."), "success")
            return redirect(url_for("cases.rights", reference=case.reference))
    return _page(case, form, 400)
