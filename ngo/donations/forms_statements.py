"""Forms of the treasurer's statement pages: the upload, and a queued line's assignment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired


class StatementUploadForm(FlaskForm):
    file = FileField(
        _l("Statement file"), validators=[FileRequired(message=_l("Choose a statement file."))]
    )
    format = SelectField(
        _l("Format"),
        choices=[
            SelectChoice("", _l("Recognise from the file (camt.053, MT940)")),
            SelectChoice("camt053", _l("ISO 20022 camt.053 (XML)")),
            SelectChoice("mt940", _l("MT940")),
            SelectChoice("csv", _l("CSV, with a saved column mapping")),
        ],
        default="",
    )
    mapping = SelectField(_l("CSV column mapping"), choices=[], default="")
    submit = SubmitField(_l("Import"))


class AssignLineForm(FlaskForm):
    # "appeal id" for the whole appeal, "appeal id:line id" for one budget line.
    target = SelectField(
        _l("Gift to"), choices=[], validators=[DataRequired(message=_l("Choose an appeal."))]
    )
    submit = SubmitField(_l("Make it a gift"))
