"""URLs of the cases domain, split by subject: cases (list, profile, household, notes, tasks,
history), consent, evidence, stories and data-subject rights. Every view loads its case through
`accounts.access.load_in_organisation`, which applies the organisation scope and the policy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.unit_of_work import audited_read

__all__ = ["CASE_TABS", "bp", "record_view", "render_case_tab"]

# The routes are in the modules beside this one; cases.init_app imports them.
bp = Blueprint("cases", __name__, url_prefix="/cases")

# The tabs of a case page, in order: (endpoint, label).
CASE_TABS = [
    ("cases.profile", _l("Profile")),
    ("cases.household", _l("Household")),
    ("cases.consent", _l("Consent")),
    ("cases.evidence", _l("Evidence")),
    ("cases.story", _l("Story")),
    ("cases.notes", _l("Notes")),
    ("cases.tasks", _l("Tasks")),
    ("cases.history", _l("History")),
]


def record_view(case: Beneficiary, part: str) -> None:
    """Record that the current user is shown `part` of the person's data (a GET too): kept
    whatever the page's status, before the page leaves."""
    with audited_read():
        record_personal_data_view(case, actor=current_user, part=part)


def render_case_tab(
    template: str, case: Beneficiary, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render one tab of a case page (the template extends cases/_case_layout.html)."""
    from ngo.cases.stories import story_flags

    return render_template(
        template, case=case, case_tabs=CASE_TABS, case_flags=story_flags(case), **context
    ), status
