"""Forms of the funders' admin pages. Amounts are typed as text and read by `Money.parse`; the
appeal and recipient choices are filled by the view from the acting organisation's records."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Email, Length, Optional

from ngo.accounts.forms import LANGUAGE_CHOICES
from ngo.campaigns.forms import APPEAL_CURRENCIES
from ngo.campaigns.labels import CATEGORY_LABELS
from ngo.reports.funders.periods import Frequency

FREQUENCY_LABELS = {
    Frequency.MONTHLY.value: _l("Monthly"),
    Frequency.QUARTERLY.value: _l("Quarterly"),
}


class FunderForm(FlaskForm):
    name = StringField(
        _l("Name of the funder"),
        validators=[DataRequired(message=_l("Give the funder a name.")), Length(max=200)],
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[
            Optional(),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=60)])
    notes = TextAreaField(_l("Notes for staff"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class GrantForm(FlaskForm):
    title = StringField(
        _l("Title or reference"),
        validators=[
            DataRequired(message=_l("Give the grant a title or reference.")),
            Length(max=200),
        ],
    )
    amount = StringField(_l("Amount"), validators=[DataRequired(message=_l("Enter an amount."))])
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in APPEAL_CURRENCIES], default="EUR"
    )
    starts_on = DateField(
        _l("Starts on"), validators=[DataRequired(message=_l("Enter the first day of the grant."))]
    )
    ends_on = DateField(
        _l("Ends on"), validators=[DataRequired(message=_l("Enter the last day of the grant."))]
    )
    appeals = SelectMultipleField(_l("Appeals"), coerce=int, validate_choice=True)
    categories = SelectMultipleField(
        _l("Every appeal in these categories"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
    )
    submit = SubmitField(_l("Save"))


class SubscriptionForm(FlaskForm):
    frequency = SelectField(
        _l("How often"),
        choices=[SelectChoice(value, label) for value, label in FREQUENCY_LABELS.items()],
    )
    language = SelectField(_l("Language of the report"), choices=LANGUAGE_CHOICES)
    recipients = SelectMultipleField(_l("Recipients"), coerce=int, validate_choice=True)
    active = BooleanField(_l("Send reports on schedule"), default=True)
    submit = SubmitField(_l("Save"))


class InviteContactForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter the e-mail address of the person you invite.")),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Send invitation"))


class LinkMemberForm(FlaskForm):
    user = SelectField(
        _l("Member with the funder role"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a member with the funder role."))],
    )
    submit = SubmitField(_l("Add as contact"))
