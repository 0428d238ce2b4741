"""The sections of the staff appeal page that other pages fill in too: details, cover and
budget labels, and updates. `staff.render_appeal` composes them; the pages that save a section
re-render the appeal page through it."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ngo.campaigns import cover, subscriptions, updates
from ngo.campaigns.appeals import VISIBLE
from ngo.campaigns.forms import AllocationForm, AppealDetailsForm, CoverPhotoForm, LineTextForm
from ngo.campaigns.forms_updates import UpdateForm
from ngo.campaigns.labels import CATEGORY_LABELS
from ngo.campaigns.models import Appeal, AppealUpdate, BudgetLine
from ngo.campaigns.safety import Finding
from ngo.config import LANGUAGES
from ngo.i18n import country_names

# Room for the multipart framing and the other fields around the photo.
UPLOAD_OVERHEAD = 64 * 1024

STATE_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("Awaiting review"),
    "published": _l("Published"),
    "withdrawn": _l("Withdrawn"),
}


def details_form(appeal: Appeal | None = None) -> AppealDetailsForm:
    """The form with its choices in the reader's language, filled from `appeal` if given."""
    form = AppealDetailsForm(formdata=None) if appeal is not None else AppealDetailsForm()
    form.categories.choices = [(c.value, str(label)) for c, label in CATEGORY_LABELS.items()]
    names = country_names(str(get_locale()))
    form.country.choices = [("", _("Not shown")), *sorted(names.items(), key=lambda i: i[1])]
    if appeal is not None:
        form.categories.data = [c.value for c in appeal.category_list]
        form.country.data = appeal.country or ""
        form.deadline.data = appeal.deadline
        form.update_interval_days.data = appeal.update_interval_days
    return form


def allocation_form(appeal: Appeal) -> AllocationForm:
    form = AllocationForm(formdata=None)
    form.allocation_rule.data = appeal.allocation_rule
    form.overfunding_policy.data = appeal.overfunding_policy
    return form


def line_text_form(line: BudgetLine, *, from_request: bool = False) -> LineTextForm:
    """One form per budget line, told apart by a prefix so their fields have unique ids."""
    prefix = f"line{line.id}"
    if from_request:
        return LineTextForm(prefix=prefix)
    form = LineTextForm(formdata=None, prefix=prefix)
    missing = [code for code in LANGUAGES if code not in {label.language for label in line.labels}]
    form.language.data = missing[0] if missing else line.appeal.fallback_language
    return form


def details_section(
    appeal: Appeal,
    form: AppealDetailsForm | None,
    line_forms: dict[int, LineTextForm],
    photo_form: CoverPhotoForm | None = None,
    giving_form: AllocationForm | None = None,
) -> dict[str, object]:
    """What the staff appeal page needs to show and edit the details, cover and labels."""
    names = country_names(str(get_locale()))
    return {
        "cover": cover.cover_of(appeal),
        "cover_form": photo_form or CoverPhotoForm(formdata=None),
        "allocation_form": giving_form or allocation_form(appeal),
        "details_form": form or details_form(appeal),
        "line_text_forms": {
            line.id: line_forms.get(line.id) or line_text_form(line) for line in appeal.budget_lines
        },
        "country_name": lambda code: names.get(code, code),
        "category_label": lambda category: str(CATEGORY_LABELS[category]),
    }


def state_label(update: AppealUpdate) -> str:
    return str(STATE_LABELS[updates.display_state(update)])


def updates_section(
    appeal: Appeal,
    form: UpdateForm | None = None,
    findings: Sequence[Finding] = (),
) -> dict[str, object]:
    """What the appeal page's Updates section needs."""
    if form is None:
        form = UpdateForm(formdata=None)
        form.language.data = appeal.fallback_language
    return {
        "updates": updates.updates_of(appeal),
        "update_form": form,
        "update_findings": list(findings),
        "update_part_labels": {name: str(label) for name, label in updates.PART_LABELS.items()},
        "may_receive_updates": appeal.status in {s.value for s in VISIBLE},
        "update_state_label": state_label,
        "followers": subscriptions.follower_counts(appeal),
    }
