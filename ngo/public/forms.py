"""Forms readers fill in on a public appeal page: report a concern, follow by e-mail.

Both carry a prefix of their own, so their fields keep distinct names and ids on a page that
shows them side by side (`concern-message`, `follow-email`). The services check everything
again; the limits here give a clear message (and a 400) before anything is stored.

They hold no CSRF token. The appeal page that shows them sets no cookie and may be kept by
shared caches; a token would need a session cookie and would be served to the wrong reader.
A token would not protect anything either: the forms act with nobody's authority (what a
forged post could do, anyone can do directly). The receiving views refuse posts a browser
marks as cross-site, and rate-limit each client.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ngo.campaigns.concerns import KINDS, MESSAGE_MAX, MESSAGE_MIN
from ngo.campaigns.labels import CONCERN_KIND_LABELS
from ngo.campaigns.subscriptions import EMAIL_MAX


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


_INVALID_EMAIL = _l("Enter a valid e-mail address, like name@example.org.")
_EMAIL_TOO_LONG = _l("Use at most %(max)d characters for the e-mail address.", max=EMAIL_MAX)


class _PublicForm(FlaskForm):
    class Meta:
        csrf = False


class ConcernForm(_PublicForm):
    kind = SelectField(
        _l("What is the concern about?"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(kind, CONCERN_KIND_LABELS[kind]) for kind in KINDS],
        validate_choice=False,
        validators=[AnyOf(KINDS, message=_l("Choose what the concern is about."))],
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(message=_l("Describe your concern.")),
            Length(
                min=MESSAGE_MIN,
                max=MESSAGE_MAX,
                message=_l(
                    "Use between %(min)d and %(max)d characters to describe your concern.",
                    min=MESSAGE_MIN,
                    max=MESSAGE_MAX,
                ),
            ),
        ],
        render_kw={"maxlength": MESSAGE_MAX, "rows": 6},
    )
    contact_email = EmailField(
        _l("Your e-mail address (optional)"),
        validators=[
            Optional(),
            Length(max=EMAIL_MAX, message=_EMAIL_TOO_LONG),
            Email(message=_INVALID_EMAIL, check_deliverability=False),
        ],
        filters=[_strip],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    submit = SubmitField(_l("Send the report"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "concern")
        super().__init__(*args, **kwargs)


class FollowForm(_PublicForm):
    email = EmailField(
        _l("Your e-mail address"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=EMAIL_MAX, message=_EMAIL_TOO_LONG),
            Email(message=_INVALID_EMAIL, check_deliverability=False),
        ],
        filters=[_strip],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    submit = SubmitField(_l("Follow this appeal"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "follow")
        super().__init__(*args, **kwargs)
