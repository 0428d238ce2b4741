"""Forms of the Evidence tab. The file's type and size are checked by the service, from the
bytes themselves; the form only asks for them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, SubmitField, URLField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, InputRequired, Length

from ngo.cases.evidence import TITLE_MAX, URL_MAX
from ngo.cases.models import EvidenceKind

KIND_LABELS = {
    EvidenceKind.COURT_VERDICT: _l("Court verdict"),
    EvidenceKind.RELEASE_CERTIFICATE: _l("Release certificate"),
    EvidenceKind.HUMAN_RIGHTS_LISTING: _l("Listing by a human-rights organisation"),
    EvidenceKind.IDENTITY_DOCUMENT: _l("Identity document"),
    EvidenceKind.PROTECTION_APPLICATION: _l("Application for protection"),
    EvidenceKind.QUOTE_OR_INVOICE: _l("Quote or invoice"),
    EvidenceKind.CONSENT_FORM: _l("Signed consent form"),
    EvidenceKind.OTHER: _l("Other document"),
}
# No kind is preselected: a hurried upload must not file a passport as a court verdict.
KIND_CHOICES = [
    SelectChoice("", _l("Choose…")),
    *(SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()),
]

CONTENT_TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}


def _title_field() -> StringField:
    return StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the document a title.")),
            Length(
                max=TITLE_MAX,
                message=_l("Use at most %(max)d characters for the title.", max=TITLE_MAX),
            ),
        ],
    )


class UploadEvidenceForm(FlaskForm):
    kind = SelectField(
        _l("Kind of document"),
        choices=KIND_CHOICES,
        validators=[InputRequired(message=_l("Choose the kind of document."))],
    )
    title = _title_field()
    file = FileField(
        _l("File (PDF, JPEG or PNG)"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )
    submit = SubmitField(_l("Upload"))


class ListingForm(FlaskForm):
    title = _title_field()
    url = URLField(
        _l("Web address of the listing"),
        validators=[
            DataRequired(message=_l("Enter the web address of the listing.")),
            Length(max=URL_MAX, message=_l("This web address is too long.")),
        ],
    )
    listed_on = DateField(
        _l("Date of the listing"),
        validators=[InputRequired(message=_l("Enter the date of the listing."))],
    )
    submit = SubmitField(_l("Add listing"))


class CheckEvidenceForm(FlaskForm):
    """Only the CSRF token: the button marks one document as checked."""
