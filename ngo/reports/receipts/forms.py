"""The tax note form: one text per language the platform speaks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from ngo.config import LANGUAGES
from ngo.reports.receipts.tax_notes import NOTE_MAX, field_name


class TaxNotesForm(FlaskForm):
    submit = SubmitField(_l("Save"))

    def notes(self) -> dict[str, str]:
        return {language: self[field_name(language)].data or "" for language in LANGUAGES}

    def note_fields(self) -> list[object]:
        return [self[field_name(language)] for language in LANGUAGES]


for _language, _name in LANGUAGES.items():
    setattr(
        TaxNotesForm,
        field_name(_language),
        TextAreaField(
            _l("Tax note in %(language)s", language=_name),
            validators=[Length(max=NOTE_MAX)],
        ),
    )
