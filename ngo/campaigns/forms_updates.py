"""Staff forms of updates (drafting and changing one) and of reviews (approving exactly what
was read, returning with a reason, marking urgent)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length, Optional

from ngo.campaigns.updates import ALT_TEXT_MAX, BODY_MAX, RETURN_REASON_MAX, TITLE_MAX
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
    remove_photo = BooleanField(_l("Remove the photo"))
    submit = SubmitField(_l("Save the draft"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "update")
        super().__init__(*args, **kwargs)


class ApproveForm(FlaskForm):
    """The approval names the digest of the content shown with it (campaigns.review)."""

    digest = HiddenField(
        validators=[
            DataRequired(message=_l("Open the review page again.")),
            Length(min=64, max=64, message=_l("Open the review page again.")),
        ]
    )
    submit = SubmitField(_l("Approve and publish"))


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("What has to change"),
        validators=[
            DataRequired(message=_l("Say what has to change.")),
            Length(
                max=RETURN_REASON_MAX,
                message=_l("Use at most %(max)d characters.", max=RETURN_REASON_MAX),
            ),
        ],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Return to the author"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "return")
        super().__init__(*args, **kwargs)


class UrgentForm(FlaskForm):
    urgent = HiddenField()
    submit = SubmitField(_l("Mark as urgent"))
