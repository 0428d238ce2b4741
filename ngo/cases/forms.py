"""Forms of the case pages (evidence and story forms live beside their views)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ngo.cases.models import CaseStatus, ConsentAudience, ConsentItem, ConsentMethod, RiskLevel

STATUS_LABELS = {
    CaseStatus.INTAKE: _l("Intake"),
    CaseStatus.ASSESSMENT: _l("Assessment"),
    CaseStatus.ACTIVE: _l("Active"),
    CaseStatus.CLOSED: _l("Closed"),
}
RISK_LABELS = {
    RiskLevel.LOW: _l("Low"),
    RiskLevel.MEDIUM: _l("Medium"),
    RiskLevel.HIGH: _l("High"),
    RiskLevel.CRITICAL: _l("Critical"),
}
CONSENT_ITEM_LABELS = {
    ConsentItem.PUBLIC_NAME: _l("Public name"),
    ConsentItem.PHOTO: _l("Photo"),
    ConsentItem.CITY: _l("City"),
    ConsentItem.STORY: _l("Story"),
    ConsentItem.IMPRISONMENT_HISTORY: _l("Imprisonment history"),
    ConsentItem.FAMILY_DETAILS: _l("Family details"),
}
CONSENT_AUDIENCE_LABELS = {
    ConsentAudience.PUBLIC_PAGE: _l("Public appeal page"),
    ConsentAudience.DONOR_EMAILS: _l("E-mails to donors"),
    ConsentAudience.FUNDER_REPORTS: _l("Reports to funders"),
}
CONSENT_METHOD_LABELS = {
    ConsentMethod.SIGNED_FORM: _l("Signed form (uploaded as evidence)"),
    ConsentMethod.VERBAL_WITNESSED: _l("Recorded verbal consent with a witness"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label: str, max_length: int = 200) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=max_length)])


class BeneficiaryForm(FlaskForm):
    legal_name = StringField(
        _l("Legal name"),
        validators=[DataRequired(message=_l("Enter the person's legal name.")), Length(max=200)],
    )
    public_name = _text(_l("Name used publicly (may be a pseudonym)"))
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    nationality = _text(_l("Nationality"))
    country_of_residence = _text(_l("Country of residence"))
    city_of_residence = _text(_l("City of residence"))
    phone = _text(_l("Phone"), 50)
    email = EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    messenger = _text(_l("Messenger handle (Signal, Telegram…)"), 100)
    legal_status = _text(_l("Legal status in the host country"))
    needs = TextAreaField(_l("Needs"), validators=[Optional(), Length(max=5000)])
    vulnerabilities = TextAreaField(
        _l("Vulnerabilities"), validators=[Optional(), Length(max=5000)]
    )
    risk_level = SelectField(_l("Risk level"), choices=_choices(RISK_LABELS))
    assigned_caseworker_id = SelectField(_l("Caseworker"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Save"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=_choices(STATUS_LABELS))
    reason = TextAreaField(
        _l("Reason (needed when closing)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Change status"))


class HouseholdForm(FlaskForm):
    relationship = StringField(
        _l("Relationship (wife, son…)"),
        validators=[DataRequired(message=_l("Say how this person is related.")), Length(max=60)],
    )
    first_name = _text(_l("First name"), 100)
    age = IntegerField(
        _l("Age"),
        validators=[
            Optional(),
            NumberRange(min=0, max=120, message=_l("Enter an age between 0 and 120.")),
        ],
    )
    submit = SubmitField(_l("Add to household"))


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note"),
        validators=[DataRequired(message=_l("Write something in the note.")), Length(max=10000)],
    )
    submit = SubmitField(_l("Add note"))


class TaskForm(FlaskForm):
    title = StringField(
        _l("What needs doing"),
        validators=[DataRequired(message=_l("Say what needs doing.")), Length(max=300)],
    )
    due_date = DateField(
        _l("Due date"), validators=[DataRequired(message=_l("Choose a due date."))]
    )
    assignee_id = SelectField(_l("Assigned to"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Add task"))


class ConsentForm(FlaskForm):
    items = MultiCheckboxField(
        _l("What the person agrees to share"), choices=_choices(CONSENT_ITEM_LABELS)
    )
    audiences = MultiCheckboxField(_l("With whom"), choices=_choices(CONSENT_AUDIENCE_LABELS))
    given_on = DateField(
        _l("Date consent was given"), validators=[DataRequired(message=_l("Enter the date."))]
    )
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()])
    method = SelectField(_l("How consent was obtained"), choices=_choices(CONSENT_METHOD_LABELS))
    witness_name = _text(_l("Witness (for verbal consent)"), 200)
    form_evidence_id = SelectField(
        _l("Signed form (for written consent)"), choices=[], validate_choice=True
    )
    submit = SubmitField(_l("Record consent"))
