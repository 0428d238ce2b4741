from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ngo.accounts import organisation_details as details
from ngo.accounts.models import Role
from ngo.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from ngo.config import LANGUAGES

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.CASEWORKER: _l("Caseworker"),
    Role.VERIFIER: _l("Verifier"),
    Role.TREASURER: _l("Treasurer"),
    Role.FUNDER: _l("Funder"),
}

ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
LANGUAGE_CHOICES = [
    SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()
]


def _email_field(label: str, missing: str | None = None) -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired(message=missing or _l("Enter your e-mail address.")),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    return new, confirm


class LoginForm(FlaskForm):
    email = _email_field(_l("E-mail"))
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )
    submit = SubmitField(_l("Sign in"))


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=64)],
    )
    submit = SubmitField(_l("Verify"))


class EnrolSecondFactorForm(FlaskForm):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=16)],
    )
    submit = SubmitField(_l("Turn on two-factor authentication"))


# Signed link tokens are about 80 characters; anything much longer is not one of ours.
LINK_TOKEN_MAX = 512


class LinkForm(FlaskForm):
    """The page an e-mailed link opens: the link's token, taken from the part of the address
    after "#" by static/js/link-token.js, or pasted by hand where scripts do not run."""

    token = StringField(
        _l("Code from the link"),
        validators=[
            DataRequired(message=_l("Paste the part of the link that comes after the # sign.")),
            Length(max=LINK_TOKEN_MAX, message=_l("This is not a code from one of our links.")),
        ],
    )
    submit = SubmitField(_l("Continue"))


class AcceptInvitationForm(FlaskForm):
    token = HiddenField()
    display_name = StringField(
        _l("Your name, as colleagues will see it"), validators=[Length(max=120)]
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Join"))


class ExistingAccountInvitationForm(FlaskForm):
    token = HiddenField()
    password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )
    submit = SubmitField(_l("Join"))


class ResetRequestForm(FlaskForm):
    email = _email_field(_l("E-mail"))
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    token = HiddenField()
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Change language"))


class InviteForm(FlaskForm):
    email = _email_field(
        _l("E-mail"), missing=_l("Enter the e-mail address of the person you invite.")
    )
    # No role is chosen beforehand: a hurried click must not make someone an administrator.
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Choose a role")), *ROLE_CHOICES],
        default="",
        validators=[DataRequired(message=_l("Choose the role of the person you invite."))],
    )
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Send invitation"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Change role"))


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Organisation name"),
        validators=[DataRequired(message=_l("Give the organisation a name.")), Length(max=120)],
    )
    submit = SubmitField(_l("Save"))


def _by_service(check: object) -> object:
    """A field validator that asks the service's own check, so the form and the service
    can never disagree."""

    def validate(_form: FlaskForm, field: Field) -> None:
        if field.data:
            try:
                check(field.data)  # type: ignore[operator]
            except details.AccountError as exc:
                raise ValidationError(str(exc.message)) from exc

    return validate


class OrganisationDetailsForm(OrganisationForm):
    """The organisation's public details, on its settings page."""

    legal_name = StringField(
        _l("Registered name"),
        validators=[
            DataRequired(message=_l("Give the organisation's legal name.")),
            Length(max=details.LIMITS["legal_name"]),
        ],
    )
    short_name = StringField(
        _l("Short name on donors' bank and card statements"),
        validators=[
            DataRequired(message=_l("Give the organisation a short name.")),
            _by_service(details.check_short_name),
        ],
    )
    slug = StringField(
        _l("Address of the public page"),
        validators=[DataRequired(message=_l("Choose the address of the public page."))],
    )
    registration_number = StringField(
        _l("Registration number"),
        validators=[Length(max=details.LIMITS["registration_number"])],
    )
    postal_address = TextAreaField(
        _l("Postal address"), validators=[Length(max=details.LIMITS["postal_address"])]
    )
    contact_email = _email_field(
        _l("Contact e-mail for donors"), missing=_l("Give an e-mail address donors can write to.")
    )
    website = StringField(
        _l("Website (optional)"), validators=[Optional(), _by_service(details.check_website)]
    )
    about = TextAreaField(_l("About the organisation"), validators=[Length(max=details.TEXT_MAX)])
    how_we_verify = TextAreaField(
        _l("How we verify the people we help"), validators=[Length(max=details.TEXT_MAX)]
    )


class NewOrganisationForm(OrganisationForm):
    admin_email = _email_field(
        _l("E-mail of its first administrator"),
        missing=_l("Enter the e-mail address of its first administrator."),
    )
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Create organisation and invite"))


class ConfirmForm(FlaskForm):
    """A button that changes state: it needs a CSRF token like any other form."""

    submit = SubmitField(_l("Confirm"))


class AuditFilterForm(FlaskForm):
    """The audit log's filters, sent in the query string (they name no person's data: a
    member, a case's reference, a kind of action)."""

    class Meta:
        csrf = False

    person = SelectField(_l("Person"), choices=[], default="")
    case = StringField(_l("Case reference"), validators=[Optional(), Length(max=16)])
    action = SelectField(_l("Kind of action"), choices=[], default="")
    page = IntegerField(
        _l("Page"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=10_000, message=_l("Choose a page between 1 and 10000.")),
        ],
    )
