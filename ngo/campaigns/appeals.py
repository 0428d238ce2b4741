"""Drafting an appeal: its texts, its budget lines and their totals, and the rule that a
published appeal is not edited (every edit records its editor, who may then not approve it).
The verbs of the domain are gathered in campaigns.services."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLine,
    BudgetLineLabel,
)
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience, ConsentItem, EvidenceItem
from ngo.cases.stories import current_verified_version
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.money import Money, MoneyError, sum_money

EDITABLE = frozenset({AppealStatus.DRAFT, AppealStatus.IN_REVIEW})
VISIBLE = frozenset({AppealStatus.PUBLISHED, AppealStatus.FUNDED})
# The column's length (AppealTranslation.display_name).
DISPLAY_NAME_MAX = 120


def refuse_unless_editable(appeal: Appeal) -> None:
    if AppealStatus(appeal.status) not in EDITABLE:
        raise AppealError(_l("A published appeal cannot be edited; withdraw it first."))


def begin_edit(appeal: Appeal, actor: User) -> None:
    """Before every change of the appeal's public content: refused once published; the editor
    is recorded (they may not approve it); an appeal in review goes back to draft, since its
    reviewer would otherwise approve what they did not read."""
    refuse_unless_editable(appeal)
    if actor.id not in (appeal.editor_ids or []):
        appeal.editor_ids = [*(appeal.editor_ids or []), actor.id]
    if appeal.status == AppealStatus.IN_REVIEW.value:
        appeal.status = AppealStatus.DRAFT.value
        appeal.submitted_by_id = None
        audit.record_change(appeal, actor, "appeal.returned_to_draft", because="edited_in_review")


# Drafting ---------------------------------------------------------------------------------


def create_appeal(
    beneficiary: Beneficiary, *, currency: str, language: str, title: str, actor: User
) -> Appeal:
    """A draft appeal whose public story starts as the person's verified story, shown under
    the public name the person agreed to publish (often a pseudonym; none without consent)."""
    if beneficiary.erased_at is not None:
        raise AppealError(_l("This case was erased."))
    if language not in LANGUAGES:
        raise AppealError(_l("Choose one of the site's languages."), field="language")
    try:
        Money.zero(currency)
    except MoneyError as exc:
        raise AppealError(
            _l("Choose a currency code such as EUR or PLN."), field="currency"
        ) from exc
    verified = current_verified_version(beneficiary)
    if verified is None:
        raise AppealError(_l("The person's story must be verified before an appeal is drafted."))
    appeal = Appeal(
        organisation_id=beneficiary.organisation_id,
        beneficiary_id=beneficiary.id,
        story_version_id=verified.id,
        currency=currency,
        fallback_language=language,
        created_by_id=actor.id,
    )
    db.session.add(appeal)
    db.session.flush()
    set_translation(
        appeal,
        language,
        title=title,
        summary="",
        story_markdown=verified.body_markdown or "",
        display_name=consented_public_name(beneficiary),
        actor=actor,
    )
    audit.record_change(appeal, actor, "appeal.created")
    return appeal


def consented_public_name(beneficiary: Beneficiary) -> str:
    """The name the person agreed to be shown under on the public page, or "" without that
    consent: the appeal's card then names a person, not only a need, and never by a name
    nobody consented to (the publication gate checks the consent again)."""
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    if ConsentItem.PUBLIC_NAME not in consented:
        return ""
    return " ".join((beneficiary.public_name or "").split())[:DISPLAY_NAME_MAX]


def set_translation(
    appeal: Appeal,
    language: str,
    *,
    title: str,
    summary: str,
    story_markdown: str,
    display_name: str,
    actor: User,
) -> AppealTranslation:
    refuse_unless_editable(appeal)
    if language not in LANGUAGES:
        raise AppealError(_l("Choose one of the site's languages."), field="language")
    title = " ".join((title or "").split())
    if not title:
        raise AppealError(_l("Give the appeal a title."), field="title")
    if len(title) > 200 or len(summary or "") > 600 or len(story_markdown or "") > 50_000:
        raise AppealError(_l("The text is too long."), field="story_markdown")
    begin_edit(appeal, actor)
    translation = next((t for t in appeal.translations if t.language == language), None)
    if translation is None:
        translation = AppealTranslation(appeal=appeal, language=language, title=title)
        db.session.add(translation)
    translation.title = title
    translation.summary = (summary or "").strip()
    translation.story_markdown = (story_markdown or "").strip()
    translation.display_name = " ".join((display_name or "").split())
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.text_changed", language=language)
    return translation


def add_budget_line(
    appeal: Appeal,
    *,
    amount: Money,
    label: str,
    language: str,
    description: str = "",
    essential: bool = True,
    priority: int = 1,
    evidence_item_id: int | None = None,
    actor: User,
) -> BudgetLine:
    refuse_unless_editable(appeal)
    if amount.currency != appeal.currency:
        raise AppealError(_l("Budget lines are in the appeal's currency."), field="amount")
    if amount.amount_minor <= 0:
        raise AppealError(_l("Enter an amount above zero."), field="amount")
    label = " ".join((label or "").split())
    if not label:
        raise AppealError(_l("Say what the money is for."), field="label")
    if evidence_item_id is not None:
        item = db.session.get(EvidenceItem, evidence_item_id)
        if item is None or item.beneficiary_id != appeal.beneficiary_id:
            raise AppealError(_l("Choose a document of this person's case."), field="evidence")
    begin_edit(appeal, actor)
    line = BudgetLine(
        appeal=appeal,
        amount_minor=amount.amount_minor,
        essential=essential,
        priority=priority,
        evidence_item_id=evidence_item_id,
    )
    line.labels.append(
        BudgetLineLabel(language=language, label=label, description=(description or "").strip())
    )
    db.session.add(line)
    db.session.flush()
    _recount_goal(appeal)
    audit.record_change(appeal, actor, "appeal.budget_line_added", amount_minor=amount.amount_minor)
    return line


def remove_budget_line(line: BudgetLine, *, actor: User) -> None:
    appeal = line.appeal
    refuse_unless_editable(appeal)
    if line.funded_minor or line.spent_minor:
        raise AppealError(_l("Money was already given to this line; it cannot be removed."))
    begin_edit(appeal, actor)
    db.session.delete(line)
    db.session.flush()
    db.session.expire(appeal, ["budget_lines"])
    _recount_goal(appeal)
    audit.record_change(appeal, actor, "appeal.budget_line_removed")


def _recount_goal(appeal: Appeal) -> None:
    """The goal and its essential part are stored for lists to sort and filter by."""
    appeal.goal_minor = sum(line.amount_minor for line in appeal.budget_lines)
    appeal.essential_minor = sum(
        line.amount_minor for line in appeal.budget_lines if line.essential
    )


@dataclass(frozen=True)
class Totals:
    goal: Money
    essential: Money
    raised: Money


def totals(appeal: Appeal) -> Totals:
    """Goal = sum of the lines; the essential part is the minimum the page shows."""
    currency = appeal.currency
    return Totals(
        goal=sum_money(
            (Money(line.amount_minor, currency) for line in appeal.budget_lines), currency
        ),
        essential=sum_money(
            (Money(line.amount_minor, currency) for line in appeal.budget_lines if line.essential),
            currency,
        ),
        raised=Money(appeal.raised_minor, currency),
    )


def appeals_of_case(beneficiary_id: int) -> list[Appeal]:
    return list(
        db.session.scalars(
            select(Appeal).where(Appeal.beneficiary_id == beneficiary_id).order_by(Appeal.id)
        )
    )
