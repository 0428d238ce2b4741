"""The staff form that posts an update on a published appeal."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ngo.campaigns.updates import ALT_TEXT_MAX, BODY_MAX, TITLE_MAX
from ngo.config import LANGUAGES


class UpdateForm(FlaskForm):
    language = SelectField(
        _l("Language of the update"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the update a title.")),
            Length(
                max=TITLE_MAX,
                message=_l("Use at most %(max)d characters for the title.", max=TITLE_MAX),
            ),
        ],
    )
    body_markdown = TextAreaField(
        _l("Text"),
        validators=[
            Optional(),
            Length(
                max=BODY_MAX,
                message=_l("Use at most %(max)d characters for the text.", max=BODY_MAX),
            ),
        ],
        render_kw={"rows": 8},
    )
    photo = FileField(
        _l("Photo (optional, JPEG or PNG)"), render_kw={"accept": "image/jpeg,image/png"}
    )
    alt_text = StringField(
        _l("Description of the photo"),
        validators=[
            Optional(),
            Length(
                max=ALT_TEXT_MAX,
                message=_l("Use at most %(max)d characters for the description.", max=ALT_TEXT_MAX),
            ),
        ],
    )
    submit = SubmitField(_l("Post the update"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "update")
        super().__init__(*args, **kwargs)
