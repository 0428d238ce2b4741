"""Receipts on the web: the donor's page from their signed link (their receipts to download
again, and an annual receipt for a past year on demand), the treasurer's download of a gift's
receipt, and the admin's tax notes.

The donor's page is reached without signing in, so it shows only what the donor's own
receipts hold, never their e-mail; it is not indexed, not cached and rate-limited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo import audit
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.donations.models import Donation, Donor
from ngo.extensions import db, limiter
from ngo.reports.receipts import delivery, document, issuing, links, tax_notes
from ngo.reports.receipts.forms import TaxNotesForm
from ngo.reports.receipts.links import LinkProblem, ReceiptLinkError
from ngo.reports.receipts.models import Receipt
from ngo.timeutil import utcnow
from ngo.unit_of_work import attempt, audited_read

bp = Blueprint("receipts", __name__)
DONOR_RATE_LIMIT = "60 per hour"


def _problem_page(problem: LinkProblem) -> tuple[str, int]:
    if problem is LinkProblem.EXPIRED:
        message = _("This link has expired")
        hint = _(
            "Links to receipts work for %(days)d days. Your newest receipt e-mail has a link "
            "that works, or write to the organisation for a copy.",
            days=links.LINK_DAYS,
        )
        return render_template("reports/link_problem.html", message=message, hint=hint), 410
    message = _("This link does not work")
    hint = _("Check that you copied the whole link from the e-mail.")
    return render_template("reports/link_problem.html", message=message, hint=hint), 404


def _pdf_response(receipt: Receipt, pdf: bytes) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename(receipt)}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _donor_receipts(donor_id: int) -> list[Receipt]:
    return list(
        db.session.scalars(
            select(Receipt)
            .where(Receipt.donor_id == donor_id, Receipt.pdf_sha256.is_not(None))
            .order_by(Receipt.issued_at.desc(), Receipt.id.desc())
        )
    )


def _years_for_annual(donor_id: int) -> list[int]:
    """Past years the donor gave in, newest first: an annual receipt for each, on demand."""
    this_year = utcnow().year
    confirmed = db.session.scalars(
        select(Donation.confirmed_at).where(
            Donation.donor_id == donor_id,
            Donation.status.in_(issuing.RECEIPTED_STATUSES),
            Donation.confirmed_at.is_not(None),
        )
    )
    years = {moment.year for moment in confirmed if moment is not None}
    return sorted((year for year in years if year < this_year), reverse=True)


@bp.get("/giving/receipts/<receipt_token>")
@limiter.limit(DONOR_RATE_LIMIT)
def donor_receipts(receipt_token: str) -> tuple[str, int]:
    try:
        receipt = links.receipt_from_token(receipt_token)
    except ReceiptLinkError as exc:
        return _problem_page(exc.problem)
    donor_id = receipt.donor_id or 0
    receipts = _donor_receipts(donor_id)
    return render_template(
        "reports/donor_receipts.html",
        token=receipt_token,
        receipts=receipts,
        years=_years_for_annual(donor_id),
        form=ConfirmForm(),
    ), 200


@bp.get("/giving/receipts/<receipt_token>/<receipt_id>.pdf")
@limiter.limit(DONOR_RATE_LIMIT)
def donor_download(receipt_token: str, receipt_id: str) -> Response | tuple[str, int]:
    try:
        via = links.receipt_from_token(receipt_token)
    except ReceiptLinkError as exc:
        return _problem_page(exc.problem)
    receipt = db.session.scalars(
        select(Receipt).where(
            Receipt.public_id == receipt_id[:24], Receipt.donor_id == via.donor_id
        )
    ).first()
    if receipt is None or receipt.pdf is None:
        return _problem_page(LinkProblem.INVALID)
    return _pdf_response(receipt, receipt.pdf)


@bp.post("/giving/receipts/<receipt_token>/annual")
@limiter.limit(DONOR_RATE_LIMIT)
def donor_annual(receipt_token: str) -> Response | tuple[str, int]:
    """Issue (once) and download the annual receipt of a past year the donor gave in."""
    try:
        via = links.receipt_from_token(receipt_token)
    except ReceiptLinkError as exc:
        return _problem_page(exc.problem)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    year_text = request.form.get("year", "")
    donor = db.session.get(Donor, via.donor_id)
    receipts = _donor_receipts(via.donor_id or 0)
    years = _years_for_annual(via.donor_id or 0)
    if donor is None or not year_text.isdigit() or int(year_text) not in years:
        message = _("Choose one of the years listed.")
        return render_template(
            "reports/donor_receipts.html",
            token=receipt_token,
            receipts=receipts,
            years=years,
            form=form,
            error=message,
        ), 400
    year = int(year_text)
    annual = issuing.issue_annual(donor, year)
    if annual is None:  # everything given that year was returned
        flash(_("Everything you gave in %(year)s was returned to you.", year=year), "info")
        return redirect(url_for("receipts.donor_receipts", receipt_token=receipt_token))
    # Rendered in this request's unit of work: a render that fails rolls the number back.
    delivery.store_pdf(annual)
    return redirect(
        url_for(
            "receipts.donor_download", receipt_token=receipt_token, receipt_id=annual.public_id
        ),
        code=303,
    )


@bp.get("/staff/receipts/<receipt_id>.pdf")
@staff_required(Action.DOWNLOAD_RECEIPT)
def staff_download(receipt_id: str) -> Response:
    receipt = load_in_organisation(
        Receipt, receipt_id, Action.DOWNLOAD_RECEIPT, by=Receipt.public_id
    )
    if receipt.pdf_sha256 is None:
        abort(404)  # numbered, its PDF still being rendered
    # The receipt names the donor: a look at personal data, recorded.
    with audited_read():
        audit.record_change(receipt, current_user, "receipt.downloaded", kind=receipt.kind)
    # Dropped when its donor was erased: drawn again, anonymous, and not stored.
    pdf = receipt.pdf if receipt.pdf is not None else document.render_receipt(receipt)
    return _pdf_response(receipt, pdf)


@bp.route("/admin/receipts", methods=["GET", "POST"])
@staff_required(Action.EDIT_ORGANISATION)
def tax_notes_settings() -> Response | tuple[str, int]:
    organisation = acting_membership().organisation
    form = TaxNotesForm()
    if not form.is_submitted():
        for language, text in tax_notes.tax_notes_of(organisation).items():
            form[tax_notes.field_name(language)].data = text
    if form.validate_on_submit() and attempt(
        form,
        lambda: tax_notes.set_tax_notes(organisation, form.notes(), actor=current_user),
        field=tax_notes.field_name("en"),
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("receipts.tax_notes_settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("reports/tax_notes.html", form=form), status
