"""Donors' rights, for admins: find a donor by e-mail (the address travels in a POST body,
never in a URL), download everything held about them, or erase them."""

from __future__ import annotations

import hmac

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ngo import audit
from ngo.accounts import policy
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.donations import rights
from ngo.donations.forms import EraseDonorForm, FindDonorForm
from ngo.donations.models import Donation, Donor
from ngo.donations.models.donors import email_index
from ngo.donations.views.blueprints import donors_bp
from ngo.extensions import db
from ngo.forms import given
from ngo.unit_of_work import attempt


def _render(
    form: FindDonorForm,
    donor: Donor | None = None,
    erase_form: EraseDonorForm | None = None,
    *,
    searched: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    gifts = 0
    if donor is not None:
        gifts = int(
            db.session.scalar(select(func.count(Donation.id)).where(Donation.donor_id == donor.id))
            or 0
        )
    return render_template(
        "donations/donors.html",
        form=form,
        donor=donor,
        gifts=gifts,
        searched=searched,
        export_form=ConfirmForm(),
        erase_form=erase_form or EraseDonorForm(formdata=None),
        may_erase=policy.may(acting_membership(), Action.ERASE_DONOR, donor)
        if donor is not None
        else False,
    ), status


@donors_bp.get("/")
@staff_required(Action.EXPORT_DONOR)
def find_page() -> tuple[str, int]:
    return _render(FindDonorForm(formdata=None))


@donors_bp.post("/")
@staff_required(Action.EXPORT_DONOR)
def find() -> tuple[str, int]:
    form = FindDonorForm()
    if not form.validate():
        return _render(form, status=400)
    donor = rights.find_donor(acting_membership().organisation_id, given(form.email.data))
    if donor is not None:
        audit.record_change(donor, current_user, "donor.looked_up")
    return _render(form, donor, searched=True)


@donors_bp.post("/<int:donor_id>/export")
@staff_required(Action.EXPORT_DONOR)
def export(donor_id: int) -> Response:
    donor = load_in_organisation(Donor, donor_id, Action.EXPORT_DONOR)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    data = rights.export_donor(donor, actor=current_user)
    response = Response(data, mimetype="application/json")
    # The donor's number only: an e-mail in a file name would sit in a downloads folder.
    response.headers["Content-Disposition"] = f'attachment; filename="donor-{donor.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@donors_bp.post("/<int:donor_id>/erase")
@staff_required(Action.ERASE_DONOR)
def erase(donor_id: int) -> Response | tuple[str, int]:
    donor = load_in_organisation(Donor, donor_id, Action.ERASE_DONOR)
    form = EraseDonorForm()
    if form.validate():
        typed = given(form.confirmation.data).strip()
        # Compared through the blind index: the address itself is not read back.
        if donor.email_index is None or not hmac.compare_digest(
            email_index(typed), donor.email_index
        ):
            form.confirmation.errors = [
                _("This is not the e-mail address of this donor. Nothing was erased.")
            ]
        elif attempt(form, lambda: rights.erase_donor(donor, actor=current_user)):
            flash(
                _("The donor's personal data was erased. Their gifts stay in the books."), "success"
            )
            return redirect(url_for("donors.find_page"))
    finder = FindDonorForm(formdata=None)
    return _render(finder, donor, form, searched=True, status=400)
