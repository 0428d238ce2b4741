"""URLs of the cases domain, split by subject: cases (list, profile, household, notes, tasks,
history), consent, evidence, stories and data-subject rights. Every view loads its case through
`load_case` (cases.loading), which applies the organisation scope and the policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ngo.cases.loading import find_case, load_case
from ngo.cases.models import Beneficiary
from ngo.cases.services import CaseError
from ngo.extensions import db
from ngo.rules import show_on_form

__all__ = ["CASE_TABS", "bp", "commit_case_change", "find_case", "load_case", "render_case_tab"]

# The routes are in the modules beside this one; cases.init_app imports them.
bp = Blueprint("cases", __name__, url_prefix="/cases")
T = TypeVar("T")

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


def commit_case_change(form: FlaskForm, change: Callable[[], T]) -> tuple[bool, T | None]:
    """Run one service call for a submitted form. On success commit and return (True, result);
    on a refusal roll back, put the message on the form and return (False, None), so that the
    view re-renders the form and nothing partial is stored."""
    try:
        result = change()
    except CaseError as exc:
        db.session.rollback()
        show_on_form(form, exc)
        return False, None
    db.session.commit()
    return True, result


def render_case_tab(
    template: str, case: Beneficiary, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render one tab of a case page (the template extends cases/_case_layout.html)."""
    from ngo.cases.stories import story_flags

    return render_template(
        template, case=case, case_tabs=CASE_TABS, case_flags=story_flags(case), **context
    ), status
