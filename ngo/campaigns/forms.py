"""Forms of the staff appeal pages. Amounts are typed as text and read by `Money.parse`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ngo.campaigns.labels import ALLOCATION_RULE_LABELS, OVERFUNDING_POLICY_LABELS
from ngo.config import LANGUAGES

APPEAL_CURRENCIES = ("EUR", "PLN", "USD")

# What a form says for each MoneyError code (the error's own text is English and repeats
# what was typed; the code lets the form say it in the reader's language).
MONEY_ERROR_MESSAGES = {
    "empty": _l("Enter an amount."),
    "too_long": _l("That is too long to be an amount."),
    "negative": _l("Negative amounts are not accepted."),
    "ambiguous": _l(
        "This could be read two ways. Type the amount without a thousands separator, "
        "for example 2100 or 2100.50."
    ),
    "too_many_decimals": _l("The currency does not have that many decimal places."),
    "too_large": _l("That amount is larger than any accepted here."),
    "unknown_currency": _l("The appeal's currency is not known."),
}
MONEY_ERROR_DEFAULT = _l("Type the amount in digits, for example 2100 or 2100.50.")


def money_error_message(code: str) -> str:
    return str(MONEY_ERROR_MESSAGES.get(code, MONEY_ERROR_DEFAULT))


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in LANGUAGES.items()]


class NewAppealForm(FlaskForm):
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in APPEAL_CURRENCIES], default="EUR"
    )
    language = SelectField(_l("Language of the appeal"), choices=_language_choices())
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the appeal a title.")), Length(max=200)],
    )
    submit = SubmitField(_l("Draft the appeal"))


class TranslationForm(FlaskForm):
    language = SelectField(_l("Language"), choices=_language_choices())
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the appeal a title.")), Length(max=200)],
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=600)])
    story_markdown = TextAreaField(_l("Story"), validators=[Optional(), Length(max=50_000)])
    display_name = StringField(_l("Name shown publicly"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Save the text"))


class BudgetLineForm(FlaskForm):
    label = StringField(
        _l("What the money is for"),
        validators=[DataRequired(message=_l("Say what the money is for.")), Length(max=200)],
    )
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(message=_l("Enter an amount.")), Length(max=40)],
    )
    essential = BooleanField(_l("Essential (part of the minimum)"), default=True)
    priority = IntegerField(
        _l("Priority"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=99, message=_l("Enter a priority from 1 to 99.")),
        ],
    )
    submit = SubmitField(_l("Add the line"))


class AppealDetailsForm(FlaskForm):
    """Categories, country, deadline and update promise; choices are set per request (the
    country names are in the reader's language)."""

    categories = SelectMultipleField(
        _l("Categories"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    country = SelectField(_l("Country where the person lives now"), choices=[])
    deadline = DateField(_l("Deadline (optional)"), validators=[Optional()])
    update_interval_days = IntegerField(
        _l("Promised update interval in days"),
        default=60,
        validators=[
            DataRequired(message=_l("Promise an update every 7 to 365 days.")),
            NumberRange(min=7, max=365, message=_l("Promise an update every 7 to 365 days.")),
        ],
    )
    submit = SubmitField(_l("Save the details"))


class AllocationForm(FlaskForm):
    """How gifts are shared and what happens once the essential lines are funded."""

    allocation_rule = SelectField(_l("How a gift for the whole appeal is shared"), choices=[])
    overfunding_policy = SelectField(_l("Once the essential lines are funded"), choices=[])
    submit = SubmitField(_l("Save the giving rules"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "allocation")
        super().__init__(*args, **kwargs)
        self.allocation_rule.choices = [
            SelectChoice(rule.value, str(label)) for rule, label in ALLOCATION_RULE_LABELS.items()
        ]
        self.overfunding_policy.choices = [
            SelectChoice(policy.value, str(label))
            for policy, label in OVERFUNDING_POLICY_LABELS.items()
        ]


class LineTextForm(FlaskForm):
    language = SelectField(_l("Language"), choices=_language_choices())
    label = StringField(
        _l("What the money is for"),
        validators=[DataRequired(message=_l("Say what the money is for.")), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save the label"))


class CoverPhotoForm(FlaskForm):
    photo = FileField(
        _l("Photo (JPEG or PNG)"),
        validators=[FileRequired(message=_l("Choose a photo."))],
        render_kw={"accept": "image/jpeg,image/png"},
    )
    alt_text = StringField(
        _l("Description of the photo"),
        validators=[
            DataRequired(message=_l("Describe the photo for readers who cannot see it.")),
            Length(max=300),
        ],
    )
    submit = SubmitField(_l("Save the photo"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "cover")
        super().__init__(*args, **kwargs)
