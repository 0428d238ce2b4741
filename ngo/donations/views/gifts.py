"""The treasurer's donations list and its CSV export, the appeals they take gifts for, gifts
entered by hand and the second person's approval.

Every record is loaded in the acting organisation's scope (another organisation's appeal or
gift is a 404). The list and the gift pages show no donor's name or e-mail: those leave only
in an export asked for "with donor names", which the audit log records.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ngo import audit
from ngo.accounts import policy
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.models import Organisation
from ngo.accounts.policy import Action
from ngo.campaigns.models import Appeal
from ngo.donations import donation_texts, listing, manual, receipt_links
from ngo.donations.forms import (
    GIFT_CURRENCIES,
    METHOD_LABELS,
    STATUS_LABELS,
    ExportForm,
    ManualGiftForm,
    new_form_token,
)
from ngo.donations.models import Donation, DonationStatus, PaymentMethod
from ngo.donations.views.blueprints import bp
from ngo.extensions import db
from ngo.forms import add_error, given
from ngo.money import Money, MoneyError
from ngo.unit_of_work import attempt, audited_read

MONEY_MESSAGES = {
    "empty": lambda: _("Enter an amount."),
    "negative": lambda: _("Negative amounts are not accepted."),
    "too_many_decimals": lambda: _("The currency does not have that many decimal places."),
    "too_large": lambda: _("That amount is larger than any accepted here."),
    "ambiguous": lambda: _(
        "This could be read two ways. Type the amount without a thousands separator, "
        "for example 2100 or 2100.50."
    ),
}


def money_message(code: str) -> str:
    message = MONEY_MESSAGES.get(code)
    return message() if message else _("Type the amount in digits, for example 2100 or 2100.50.")


@bp.app_context_processor
def _donation_helpers() -> dict[str, object]:
    return {
        "donation_status_label": lambda s: str(STATUS_LABELS.get(DonationStatus(s), s)),
        "payment_method_label": lambda m: str(METHOD_LABELS.get(PaymentMethod(m), m)),
        "money": Money,
    }


def appeal_title(appeal: Appeal) -> str:
    text = next((t for t in appeal.translations if t.language == appeal.fallback_language), None)
    return text.title if text else appeal.slug


def line_names(appeal: Appeal) -> list[tuple[str, str]]:
    """(id as text, label in the appeal's language) of each budget line, in budget order."""
    names = []
    for line in appeal.budget_lines:
        own = [lb.label for lb in line.labels if lb.language == appeal.fallback_language]
        names.append((str(line.id), (own or [lb.label for lb in line.labels] or [""])[0]))
    return names


def _line_choices(appeal: Appeal) -> list[tuple[str, str]]:
    return [("", _("The whole appeal")), *line_names(appeal)]


# The list and its export ------------------------------------------------------------------

FILTER_FIELDS = ("appeal", "status", "method", "currency", "date_from", "date_to")


def _filter_appeal(slug: str) -> Appeal | None:
    slug = (slug or "").strip()
    if not slug:
        return None
    return load_in_organisation(Appeal, slug, Action.VIEW_DONATIONS)


def _appeal_choices(organisation_id: int) -> list[tuple[str, str]]:
    appeals = db.session.scalars(
        select(Appeal)
        .where(Appeal.organisation_id == organisation_id)
        .options(selectinload(Appeal.translations))
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
    )
    return [(a.slug, appeal_title(a)) for a in appeals]


@bp.get("/")
@staff_required(Action.VIEW_DONATIONS)
def donation_list() -> tuple[str, int]:
    membership = acting_membership()
    args = {key: request.args.get(key, "") for key in FILTER_FIELDS}
    appeal = _filter_appeal(args["appeal"])
    error = None
    page = None
    try:
        filters = listing.read_filters(args, appeal.id if appeal else None)
    except listing.FilterError as exc:
        error = str(exc.message)
    else:
        number = request.args.get("page", "1")
        page = listing.donations_page(
            membership.organisation_id, filters, int(number) if number.isdigit() else 1
        )
    return _list_page(page, args, error, ExportForm(formdata=MultiDict(args)))


def _list_page(
    page: listing.Page | None, args: dict[str, str], error: str | None, form: ExportForm
) -> tuple[str, int]:
    membership = acting_membership()
    return render_template(
        "donations/list.html",
        page=page,
        args=args,
        error=error,
        export_form=form,
        appeal_choices=_appeal_choices(membership.organisation_id),
        statuses=STATUS_LABELS,
        methods=METHOD_LABELS,
        may_export=policy.may(membership, Action.EXPORT_DONATIONS),
    ), (400 if error else 200)


@bp.post("/export")
@staff_required(Action.EXPORT_DONATIONS)
def export() -> Response | tuple[str, int]:
    membership = acting_membership()
    form = ExportForm()
    if not form.validate():
        abort(400)
    args = {name: (getattr(form, name).data or "") for name in FILTER_FIELDS}
    appeal = _filter_appeal(args["appeal"])
    organisation = db.session.get_one(Organisation, membership.organisation_id)
    try:
        filters = listing.read_filters(args, appeal.id if appeal else None)
        text = listing.export_csv(
            organisation,
            filters,
            with_donor_names=bool(form.with_donor_names.data),
            actor=current_user,
        )
    except listing.FilterError as exc:
        return _list_page(None, args, str(exc.message), form)
    kind = "with-names" if form.with_donor_names.data else "amounts"
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="donations-{date.today().isoformat()}-{kind}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# Appeals, and gifts entered by hand ------------------------------------------------------


@bp.get("/appeals")
@staff_required(Action.VIEW_DONATIONS)
def appeal_index() -> str:
    """The organisation's appeals with their money: where a treasurer records a gift or
    moves money."""
    membership = acting_membership()
    appeals = db.session.scalars(
        policy.scope(select(Appeal), membership, Appeal.organisation_id)
        .options(selectinload(Appeal.translations))
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
    ).all()
    return render_template(
        "donations/appeals.html",
        rows=[
            {
                "appeal": a,
                "title": appeal_title(a),
                "raised": Money(a.raised_minor, a.currency),
                "goal": Money(a.goal_minor, a.currency),
                "receiving": a.status in manual.RECEIVING,
            }
            for a in appeals
        ],
    )


def _gift_form(appeal: Appeal, *, from_request: bool) -> ManualGiftForm:
    form = ManualGiftForm() if from_request else ManualGiftForm(formdata=None)
    currencies = list(dict.fromkeys((appeal.currency, *GIFT_CURRENCIES)))
    form.currency.choices = [(c, c) for c in currencies]
    form.budget_line.choices = _line_choices(appeal)
    if not from_request:
        form.currency.data = appeal.currency
        form.received_on.data = date.today()
        form.token.data = new_form_token()
    return form


def _render_gift_form(appeal: Appeal, form: ManualGiftForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "donations/gift_new.html",
        appeal=appeal,
        title=appeal_title(appeal),
        form=form,
        threshold=Money(manual.approval_threshold_minor(), appeal.currency),
    ), status


@bp.get("/appeals/<slug>/gifts/new")
@staff_required(Action.RECORD_GIFT)
def new_gift(slug: str) -> tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.RECORD_GIFT)
    return _render_gift_form(appeal, _gift_form(appeal, from_request=False))


@bp.post("/appeals/<slug>/gifts")
@staff_required(Action.RECORD_GIFT)
def record_gift(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.RECORD_GIFT)
    form = _gift_form(appeal, from_request=True)
    if not form.validate():
        return _render_gift_form(appeal, form, 400)
    try:
        amount = Money.parse(given(form.amount.data), given(form.currency.data))
    except MoneyError as exc:
        add_error(form.amount, money_message(exc.code))
        return _render_gift_form(appeal, form, 400)
    line = form.budget_line.data or ""
    entry = manual.GiftEntry(
        amount=amount,
        method=given(form.method.data),
        received_on=given(form.received_on.data),
        budget_line_id=int(line) if line.isdigit() else None,
        donor_name=form.donor_name.data,
        donor_email=form.donor_email.data,
        display_name=form.display_name.data,
        note=form.note.data,
        idempotency_key=f"manual:{form.token.data}",
    )
    recorded = attempt(form, lambda: manual.record_manual_gift(appeal, entry, actor=current_user))
    if not recorded:
        return _render_gift_form(appeal, form, 400)
    donation = recorded.value
    if donation.status == DonationStatus.AWAITING_APPROVAL.value:
        flash(_("The gift was recorded. A second person has to approve it."), "info")
    else:
        flash(_("The gift was recorded and confirmed."), "success")
    return redirect(url_for("donations.gift", gift_id=donation.public_id))


def _load_gift(public_id: str, action: Action) -> Donation:
    return load_in_organisation(Donation, public_id, action, by=Donation.public_id)


def _render_gift(
    donation: Donation, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    appeal = db.session.get_one(Appeal, donation.appeal_id)
    labels = listing.line_labels({donation.budget_line_id} if donation.budget_line_id else set())
    if donation.note:
        # The note may name people: showing it is recorded, like a look at personal data.
        with audited_read():
            audit.record_change(donation, current_user, "donation.note_viewed")
    message_passes = None
    if donation.message:
        # So may the donor's message; the check runs again, against today's private values.
        with audited_read():
            audit.record_change(donation, current_user, "donation.message_viewed")
        donor_email = (donation.donor.email if donation.donor else None) or ""
        message_passes = donation_texts.passes_check(
            appeal, donation.message, donor_email=donor_email
        )
    return render_template(
        "donations/gift.html",
        donation=donation,
        appeal=appeal,
        title=appeal_title(appeal),
        line_label=labels.get(donation.budget_line_id or 0),
        amount=Money(donation.amount_minor, donation.currency),
        in_appeal=Money(donation.appeal_amount_minor, appeal.currency)
        if donation.appeal_amount_minor is not None
        else None,
        approval_refusal=manual.approval_refusal(donation, current_user),
        may_approve=policy.may(acting_membership(), Action.APPROVE_GIFT, donation),
        receipts=receipt_links.documents_for([donation.id]).get(donation.id, []),
        may_download_receipt=policy.may(acting_membership(), Action.DOWNLOAD_RECEIPT, donation),
        confirm_form=ConfirmForm(),
        error=error,
        message_passes=message_passes,
    ), status


@bp.get("/gifts/<gift_id>")
@staff_required(Action.VIEW_DONATIONS)
def gift(gift_id: str) -> tuple[str, int]:
    return _render_gift(_load_gift(gift_id, Action.VIEW_DONATIONS))


@bp.post("/gifts/<gift_id>/approve")
@staff_required(Action.APPROVE_GIFT)
def approve_gift(gift_id: str) -> Response | tuple[str, int]:
    donation = _load_gift(gift_id, Action.APPROVE_GIFT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    approved = attempt(None, lambda: manual.approve_manual_gift(donation, actor=current_user))
    if not approved:
        db.session.refresh(donation)
        return _render_gift(donation, 400, approved.message)
    flash(_("The gift was approved and confirmed."), "success")
    return redirect(url_for("donations.gift", gift_id=donation.public_id))


@bp.post("/gifts/<gift_id>/reject")
@staff_required(Action.APPROVE_GIFT)
def reject_gift(gift_id: str) -> Response | tuple[str, int]:
    donation = _load_gift(gift_id, Action.APPROVE_GIFT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rejected = attempt(None, lambda: manual.reject_manual_gift(donation, actor=current_user))
    if not rejected:
        db.session.refresh(donation)
        return _render_gift(donation, 400, rejected.message)
    flash(_("The gift was rejected. Nothing was posted to the ledger."), "success")
    return redirect(url_for("donations.gift", gift_id=donation.public_id))
