"""Forms of the donations domain: recording a disbursement (staff) and finding one's own gift
in the public ledger. Amounts are typed as text and read by `Money.parse`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length, Optional

from ngo.donations.disbursements import DESCRIPTION_MAX, NOTE_MAX, REASON_MAX
from ngo.donations.models import PayeeKind

PAYEE_KIND_LABELS = {
    PayeeKind.BENEFICIARY: _l("The person (the beneficiary)"),
    PayeeKind.SUPPLIER: _l("A supplier (a landlord, a shop, a school)"),
}


class DisbursementForm(FlaskForm):
    # Choices are the appeal's lines (set by the view); any other value reaches the service,
    # which refuses it with its own message.
    budget_line = SelectField(_l("Budget line"), validate_choice=False)
    amount = StringField(_l("Amount paid"))
    paid_on = DateField(
        _l("Paid on"),
        validators=[DataRequired(message=_l("Enter the day it was paid."))],
    )
    payee_kind = SelectField(
        _l("Paid to"),
        choices=[SelectChoice(kind.value, label) for kind, label in PAYEE_KIND_LABELS.items()],
        validate_choice=False,
    )
    payee_note = TextAreaField(
        _l("Who was paid and what for (staff only, stored encrypted)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
    )
    public_description = StringField(
        _l("Public description"),
        validators=[
            DataRequired(message=_l("Describe the payment for the public page, in a few words.")),
            Length(max=DESCRIPTION_MAX),
        ],
    )
    proof = FileField(_l("Proof of payment (PDF, JPEG or PNG)"))
    override = BooleanField(_l("Pay more than the line has funded (override)"))
    override_reason = TextAreaField(
        _l("Why the line may be overspent"), validators=[Optional(), Length(max=REASON_MAX)]
    )
    submit = SubmitField(_l("Record the payment"))


class FindGiftForm(FlaskForm):
    code = StringField(
        _l("The code on your receipt"),
        validators=[
            DataRequired(message=_l("Type the code printed on your receipt.")),
            Length(max=64, message=_l("This is longer than a receipt code.")),
        ],
    )
    submit = SubmitField(_l("Find my gift"))
