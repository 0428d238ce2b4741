"""Forms of the story tab: writing a version and verifying one."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ngo.cases.models import CheckKind, EvidenceItem, EvidenceKind, VersionStatus
from ngo.cases.stories import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from ngo.cases.verification import MAX_COMMENTS_LENGTH, MAX_NOTE_LENGTH

VERSION_STATUS_LABELS = {
    VersionStatus.DRAFT: _l("draft"),
    VersionStatus.SUBMITTED: _l("awaiting verification"),
    VersionStatus.VERIFIED: _l("verified"),
    VersionStatus.RETURNED: _l("returned for changes"),
    VersionStatus.SUPERSEDED: _l("superseded"),
}
# Keyed by str: a CheckKind is one, and stored checks are looked up by their plain value.
CHECK_LABELS: dict[str, str] = {
    CheckKind.IDENTITY: _l("Identity"),
    CheckKind.PERSECUTION: _l("Persecution"),
    CheckKind.CURRENT_SITUATION: _l("Current situation"),
    CheckKind.BUDGET: _l("Budget"),
}
CHECK_HINTS = {
    CheckKind.IDENTITY: _l("The person is who the story says (identity document)."),
    CheckKind.PERSECUTION: _l(
        "The persecution is documented (verdict, release certificate, human-rights listing)."
    ),
    CheckKind.CURRENT_SITUATION: _l("Where and how the person lives now is confirmed."),
    CheckKind.BUDGET: _l("The amount asked for matches quotes or invoices."),
}


class StoryForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the story a title.")),
            Length(max=MAX_TITLE_LENGTH),
        ],
    )
    body = TextAreaField(
        _l("Story (Markdown: **bold**, *italic*, lists, links)"),
        # Tall enough to read a life story while writing it; the stylesheet lets it grow.
        render_kw={"rows": 25, "class": "story-editor"},
        validators=[
            DataRequired(message=_l("Write the story.")),
            Length(
                max=MAX_BODY_LENGTH,
                message=_l(
                    "The story is too long: keep it under %(max)d characters.",
                    max=MAX_BODY_LENGTH,
                ),
            ),
        ],
    )
    submit = SubmitField(_l("Save"))
    # Shows the text as the public page will and what the safety check finds; saves nothing.
    preview = SubmitField(_l("Preview"))


class CheckForm(Form):
    """One of the four checks; a subform, so the outer form carries the CSRF token."""

    passed = BooleanField(_l("Passed"))
    # Several documents may support one check: checkboxes, not a Ctrl-click list.
    evidence = SelectMultipleField(
        _l("Evidence"),
        choices=[],
        coerce=int,
        validate_choice=True,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])


class VerifyForm(FlaskForm):
    identity = FormField(CheckForm, label=CHECK_LABELS[CheckKind.IDENTITY])
    persecution = FormField(CheckForm, label=CHECK_LABELS[CheckKind.PERSECUTION])
    current_situation = FormField(CheckForm, label=CHECK_LABELS[CheckKind.CURRENT_SITUATION])
    budget = FormField(CheckForm, label=CHECK_LABELS[CheckKind.BUDGET])
    comments = TextAreaField(
        _l("Comments (needed when returning the story)"),
        validators=[Optional(), Length(max=MAX_COMMENTS_LENGTH)],
    )
    approve = SubmitField(_l("Approve"))
    send_back = SubmitField(_l("Return to the caseworker"))

    def check_fields(self) -> list[tuple[CheckKind, FormField]]:
        return [(kind, self[kind.value]) for kind in CheckKind]

    def set_evidence_choices(self, items: Iterable[EvidenceItem]) -> None:
        choices = [SelectChoice(item.id, _evidence_label(item)) for item in items]
        for _kind, subform in self.check_fields():
            subform.form.evidence.choices = list(choices)


def _evidence_label(item: EvidenceItem) -> str:
    when = item.uploaded_at.date().isoformat() if item.uploaded_at else ""
    from ngo.cases.forms_evidence import KIND_LABELS

    kind = str(KIND_LABELS[EvidenceKind(item.kind)])
    return f"#{item.id} · {kind}: {item.title or ''} · {when}"
