"""The public donate form. Like the other forms readers send from an appeal (public.forms), it
holds no CSRF token: the gift acts with nobody's authority, and the view refuses posts a
browser marks as cross-site. Its hidden idempotency key, new for every rendered form, makes a
double click one gift. Every rule is checked again by `donations.giving`; the limits here only
give an early, clear message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Email, Length

from ngo.donations.display_names import DISPLAY_NAME_MAX
from ngo.donations.giving import (
    BANK_TRANSFER,
    CURRENCIES,
    EMAIL_MAX,
    MESSAGE_MAX,
    ONLINE,
)
from ngo.donations.models import Frequency


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DonateForm(FlaskForm):
    class Meta:
        csrf = False

    amount = StringField(
        _l("Amount"),
        filters=[_strip],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": 32},
    )
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], validate_choice=False
    )
    designation = SelectField(_l("What your gift is for"), validate_choice=False)
    frequency = RadioField(
        _l("How often"),
        choices=[
            SelectChoice(Frequency.ONE_OFF.value, _l("Once")),
            SelectChoice(Frequency.MONTHLY.value, _l("Every month")),
        ],
        default=Frequency.ONE_OFF.value,
        validate_choice=False,
    )
    cover_fee = BooleanField(_l("Add the online payment fee, so the appeal receives my whole gift"))
    display_name = StringField(
        _l("Name to show with your gift (optional)"),
        filters=[_strip],
        render_kw={"maxlength": DISPLAY_NAME_MAX, "autocomplete": "off"},
    )
    email = EmailField(
        _l("Your e-mail address, for the receipt"),
        validators=[
            DataRequired(message=_l("Enter the e-mail address your receipt goes to.")),
            Length(max=EMAIL_MAX, message=_l("Use at most %(max)d characters.", max=EMAIL_MAX)),
            Email(
                message=_l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
        filters=[_strip],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    message = TextAreaField(
        _l("Message to the organisation (optional)"),
        render_kw={"maxlength": MESSAGE_MAX, "rows": 3},
    )
    wants_updates = BooleanField(_l("Send me updates about this appeal by e-mail"))
    method = RadioField(
        _l("How you pay"),
        choices=[
            SelectChoice(ONLINE, _l("Online: card and other methods, on Stripe's secure page")),
            SelectChoice(BANK_TRANSFER, _l("Bank transfer")),
        ],
        validate_choice=False,
    )
    idempotency_key = HiddenField()
    submit = SubmitField(_l("Continue"))
