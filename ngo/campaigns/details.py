"""An appeal's details (the facts the public list filters on, the promise of news) and its
budget labels in more languages: edits like any other of its public content."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns.appeals import begin_edit, refuse_unless_editable
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import (
    AllocationRule,
    Appeal,
    BudgetLine,
    BudgetLineLabel,
    Category,
    OverfundingPolicy,
)
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.i18n import country_names

MIN_UPDATE_INTERVAL_DAYS = 7
MAX_UPDATE_INTERVAL_DAYS = 365
MAX_DEADLINE_DAYS = 2 * 366


def set_details(
    appeal: Appeal,
    *,
    categories: list[str],
    country: str | None,
    deadline: date | None,
    update_interval_days: int,
    actor: User,
) -> None:
    """The facts the public list filters on, and how often donors are promised news."""
    refuse_unless_editable(appeal)
    try:
        chosen = [Category(c) for c in categories]
    except ValueError:
        raise AppealError(_l("Choose categories from the list."), field="categories") from None
    if country and (len(country) != 2 or country.upper() not in _country_codes()):
        raise AppealError(_l("Choose a country from the list."), field="country")
    today = date.today()
    if deadline is not None and not today < deadline <= today + timedelta(MAX_DEADLINE_DAYS):
        raise AppealError(
            _l("The deadline must be after today and within two years."), field="deadline"
        )
    if not MIN_UPDATE_INTERVAL_DAYS <= update_interval_days <= MAX_UPDATE_INTERVAL_DAYS:
        raise AppealError(
            _l("Promise an update every 7 to 365 days."), field="update_interval_days"
        )
    begin_edit(appeal, actor)
    appeal.category_list = chosen
    appeal.country = country.upper() if country else None
    appeal.deadline = deadline
    appeal.update_interval_days = update_interval_days
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.details_changed")


def set_allocation(appeal: Appeal, *, rule: str, policy: str, actor: User) -> None:
    """How gifts for the whole appeal are shared among its lines, and what happens once the
    essential lines are funded. Donors are told which applies, so it is public content like
    the rest: changed only before publication, and approved by a second person."""
    refuse_unless_editable(appeal)
    try:
        chosen_rule = AllocationRule(rule)
    except ValueError:
        raise AppealError(_l("Choose a rule from the list."), field="allocation_rule") from None
    try:
        chosen_policy = OverfundingPolicy(policy)
    except ValueError:
        raise AppealError(
            _l("Choose what happens from the list."), field="overfunding_policy"
        ) from None
    if (chosen_rule.value, chosen_policy.value) == (
        appeal.allocation_rule,
        appeal.overfunding_policy,
    ):
        return
    begin_edit(appeal, actor)
    appeal.allocation_rule = chosen_rule.value
    appeal.overfunding_policy = chosen_policy.value
    db.session.flush()
    audit.record_change(
        appeal,
        actor,
        "appeal.allocation_changed",
        rule=chosen_rule.value,
        policy=chosen_policy.value,
    )


def _country_codes() -> frozenset[str]:
    return frozenset(country_names("en"))


def set_line_text(
    line: BudgetLine, *, language: str, label: str, description: str, actor: User
) -> BudgetLineLabel:
    """A budget line's label in one more language (or corrected in one it has)."""
    appeal = line.appeal
    refuse_unless_editable(appeal)
    if language not in LANGUAGES:
        raise AppealError(_l("Choose one of the site's languages."), field="language")
    label = " ".join((label or "").split())
    if not label:
        raise AppealError(_l("Say what the money is for."), field="label")
    if len(label) > 200 or len(description or "") > 1000:
        raise AppealError(_l("The text is too long."), field="label")
    begin_edit(appeal, actor)
    text = next((t for t in line.labels if t.language == language), None)
    if text is None:
        text = BudgetLineLabel(language=language, label=label)
        line.labels.append(text)
    text.label = label
    text.description = (description or "").strip()
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.budget_line_text_changed", language=language)
    return text
