"""Forms of the treasurer's pages and the donor-rights page. Amounts are typed as text and read
by `Money.parse`; choices that depend on the appeal are set by the view."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ngo.donations.models import DonationStatus, PaymentMethod

# The currencies offered for a gift entered by hand (the appeal's own is always among them).
GIFT_CURRENCIES = ("EUR", "PLN", "USD", "GBP")

METHOD_LABELS = {
    PaymentMethod.CARD: _l("Card"),
    PaymentMethod.BLIK: _l("BLIK"),
    PaymentMethod.P24: _l("Przelewy24"),
    PaymentMethod.SEPA_DEBIT: _l("SEPA Direct Debit"),
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.OTHER: _l("Other"),
}
STATUS_LABELS = {
    DonationStatus.PENDING: _l("Waiting for the payment"),
    DonationStatus.CONFIRMED: _l("Confirmed"),
    DonationStatus.AWAITING_APPROVAL: _l("Waiting for a second person"),
    DonationStatus.REJECTED: _l("Rejected"),
    DonationStatus.FAILED: _l("Failed"),
    DonationStatus.REFUNDED: _l("Refunded"),
    DonationStatus.DISPUTED: _l("Disputed"),
}


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class ManualGiftForm(FlaskForm):
    amount = StringField(
        _l("Amount"), validators=[InputRequired(message=_l("Enter an amount.")), Length(max=64)]
    )
    currency = SelectField(_l("Currency"), choices=[])
    method = SelectField(
        _l("How it was given"),
        choices=[
            SelectChoice(PaymentMethod.CASH.value, METHOD_LABELS[PaymentMethod.CASH]),
            SelectChoice(PaymentMethod.OTHER.value, METHOD_LABELS[PaymentMethod.OTHER]),
        ],
    )
    budget_line = SelectField(_l("For"), choices=[])
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(message=_l("Enter the day it was received."))]
    )
    donor_name = StringField(
        _l("Donor's name (optional)"), validators=[Optional(), Length(max=200)]
    )
    donor_email = StringField(
        _l("Donor's e-mail (optional, for the receipt)"), validators=[Optional(), Length(max=254)]
    )
    display_name = StringField(
        _l("Name shown on the public ledger (optional)"), validators=[Optional(), Length(max=80)]
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    # One form, one gift: a second submission of the same page records nothing more.
    token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    submit = SubmitField(_l("Record the gift"))


class MoveFundsForm(FlaskForm):
    source = SelectField(_l("Take from"), choices=[])
    target = SelectField(_l("Move to"), choices=[])
    amount = StringField(
        _l("Amount"), validators=[InputRequired(message=_l("Enter an amount.")), Length(max=64)]
    )
    submit = SubmitField(_l("Move the money"))


class ExportForm(FlaskForm):
    """The list's filters, sent again with the choice of export."""

    appeal = HiddenField()
    status = HiddenField()
    method = HiddenField()
    currency = HiddenField()
    date_from = HiddenField()
    date_to = HiddenField()
    with_donor_names = BooleanField(_l("With donor names (recorded in the audit log)"))
    submit = SubmitField(_l("Download CSV for the accountant"))


class FindDonorForm(FlaskForm):
    email = StringField(
        _l("Donor's e-mail address"),
        validators=[DataRequired(message=_l("Enter the donor's e-mail address.")), Length(max=254)],
    )
    submit = SubmitField(_l("Find the donor"))


class EraseDonorForm(FlaskForm):
    confirmation = StringField(
        _l("Type the donor's e-mail address again to confirm"),
        validators=[
            DataRequired(message=_l("Type the donor's e-mail address to confirm.")),
            Length(max=254),
        ],
    )
    submit = SubmitField(_l("Erase this donor's personal data"))
