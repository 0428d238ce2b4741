"""Staff pages of appeals: list, drafting from a case, text, budget and the publication check.

Every appeal is loaded through `accounts.access.load_in_organisation`, which applies the
organisation scope (another organisation's appeal is a 404) and the policy (403). The
publication check shows the context of safety findings, which repeats the person's private
values: it is rendered on the appeal page for staff and goes nowhere else (no flash, no log,
no audit detail).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ngo.accounts import policy
from ngo.accounts.access import (
    acting_membership,
    current_membership,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.campaigns import services
from ngo.campaigns.forms import (
    BudgetLineForm,
    NewAppealForm,
    TranslationForm,
    money_error_message,
)
from ngo.campaigns.labels import ALLOCATION_RULE_PUBLIC, OVERFUNDING_POLICY_PUBLIC
from ngo.campaigns.models import (
    AllocationRule,
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLine,
    OverfundingPolicy,
)
from ngo.campaigns.panels import appeal_panels
from ngo.campaigns.views.sections import details_section, updates_section
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.cases.stories import verified_version
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.forms import given
from ngo.money import Money, MoneyError, format_money
from ngo.unit_of_work import attempt, audited_read

bp = Blueprint("appeals", __name__, url_prefix="/staff/appeals")

STATUS_LABELS = {
    AppealStatus.DRAFT: _l("Draft"),
    AppealStatus.IN_REVIEW: _l("In review"),
    AppealStatus.PUBLISHED: _l("Published"),
    AppealStatus.FUNDED: _l("Funded"),
    AppealStatus.CLOSED: _l("Closed"),
    AppealStatus.ARCHIVED: _l("Archived"),
}

_MARKED = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


def highlight(context: str) -> Markup:
    """A finding's context with its `[[match]]` markers as <mark>, everything else escaped."""
    parts: list[str] = []
    position = 0
    for match in _MARKED.finditer(context):
        parts.append(str(escape(context[position : match.start()])))
        parts.append(f"<mark>{escape(match.group(1))}</mark>")
        position = match.end()
    parts.append(str(escape(context[position:])))
    return Markup("".join(parts))  # noqa: S704  (every piece was escaped above)


@bp.app_context_processor
def _appeal_helpers() -> dict[str, object]:
    return {
        "appeal_status_label": lambda s: str(STATUS_LABELS[AppealStatus(s)]),
        "format_money": format_money,
        "allocation_rule_text": lambda code: str(ALLOCATION_RULE_PUBLIC[AllocationRule(code)]),
        "overfunding_policy_text": lambda code: str(
            OVERFUNDING_POLICY_PUBLIC[OverfundingPolicy(code)]
        ),
    }


def fallback_translation(appeal: Appeal) -> AppealTranslation | None:
    for translation in appeal.translations:
        if translation.language == appeal.fallback_language:
            return translation
    return appeal.translations[0] if appeal.translations else None


def line_label(line: BudgetLine, language: str) -> str:
    for label in line.labels:
        if label.language == language:
            return label.label
    return line.labels[0].label if line.labels else ""


def approval_blocker(appeal: Appeal, problems: list[services.Problem]) -> str | None:
    """Why the current user cannot approve now (the services' reason), or None."""
    refusal = services.approval_refusal(appeal, current_user)
    if refusal is not None:
        return refusal
    if problems:
        return _("The appeal cannot be published until every problem is solved.")
    return None


def back_to_appeal(
    appeal: Appeal,
    done: str | None = None,
    *,
    status_before: str | None = None,
    anchor: str | None = None,
) -> Response:
    """After a change went through: say `done`, say if an edit sent the appeal back to draft
    (when the status before it is given), and show the appeal page."""
    if done:
        flash(done, "success")
    if status_before is not None:
        say_if_returned_to_draft(appeal, status_before)
    return redirect(url_for("appeals.appeal", slug=appeal.slug, _anchor=anchor))


def say_if_returned_to_draft(appeal: Appeal, status_before: str) -> None:
    """An edit of an appeal in review sent it back to draft: say so, and what to do."""
    if status_before == AppealStatus.IN_REVIEW.value and appeal.status == AppealStatus.DRAFT.value:
        flash(
            _(
                "The appeal was in review: your change sent it back to draft, because its "
                "reviewer had not read it. Send it for review again when it is ready."
            ),
            "info",
        )


def render_appeal(
    appeal: Appeal,
    status: int = 200,
    *,
    translation_form: TranslationForm | None = None,
    line_form: BudgetLineForm | None = None,
    action_error: str | None = None,
    updates: dict[str, object] | None = None,
    details_form: Any = None,
    line_text_forms: dict[int, Any] | None = None,
    cover_form: Any = None,
    allocation_form: Any = None,
) -> tuple[str, int]:
    problems = services.publication_problems(appeal)
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    if case is not None and any(p.finding for p in problems):
        # The findings' context repeats private values: looking at it is recorded like
        # looking at the case's personal fields (which part only, never the values).
        with audited_read():
            record_personal_data_view(case, actor=current_user, part="appeal_publication_check")
    if translation_form is None:
        translation_form = TranslationForm(formdata=None)
        wanted = request.args.get("language", appeal.fallback_language)
        source = next((t for t in appeal.translations if t.language == wanted), None)
        if source is not None:
            translation_form.process(formdata=None, obj=source)
        elif wanted in LANGUAGES:
            translation_form.language.data = wanted
    return render_template(
        "campaigns/staff_appeal.html",
        appeal=appeal,
        appeal_title=(t.title if (t := fallback_translation(appeal)) else ""),
        case=case,
        totals=services.totals(appeal),
        problems=problems,
        highlight=highlight,
        line_label=line_label,
        line_money=lambda line: Money(line.amount_minor, appeal.currency),
        translation_form=translation_form,
        line_form=line_form or BudgetLineForm(formdata=None),
        confirm_form=ConfirmForm(),
        action_error=action_error,
        approval_blocker=approval_blocker(appeal, problems),
        editable=AppealStatus(appeal.status) in services.EDITABLE,
        languages=LANGUAGES,
        panels=appeal_panels(appeal),
        **(updates or updates_section(appeal)),
        **details_section(appeal, details_form, line_text_forms or {}, cover_form, allocation_form),
    ), status


# Pages ------------------------------------------------------------------------------------


@bp.get("/")
@staff_required(Action.VIEW_CASES)
def appeal_list() -> str:
    """All the organisation's appeals, or with ?case=<reference> those of one person."""
    membership = acting_membership()
    stmt = policy.scope(select(Appeal), membership, Appeal.organisation_id)
    filter_case = (
        load_in_organisation(Beneficiary, request.args["case"], Action.VIEW_CASES)
        if request.args.get("case")
        else None
    )
    if filter_case is not None:
        stmt = stmt.where(Appeal.beneficiary_id == filter_case.id)
    appeals = db.session.scalars(
        stmt.options(selectinload(Appeal.translations), selectinload(Appeal.budget_lines)).order_by(
            Appeal.created_at.desc(), Appeal.id.desc()
        )
    ).all()
    cases = {
        b.id: b
        for b in db.session.scalars(
            select(Beneficiary).where(Beneficiary.id.in_({a.beneficiary_id for a in appeals}))
        )
    }
    rows = [
        {
            "appeal": appeal,
            "title": (t.title if (t := fallback_translation(appeal)) else ""),
            "goal": services.totals(appeal).goal,
            "case": cases.get(appeal.beneficiary_id),
        }
        for appeal in appeals
    ]
    return render_template("campaigns/staff_list.html", rows=rows, filter_case=filter_case)


@bp.route("/new/<case_reference>", methods=["GET", "POST"])
@staff_required(Action.EDIT_APPEAL)
def new_appeal(case_reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, case_reference, Action.EDIT_APPEAL)
    form = NewAppealForm()
    if not form.is_submitted():
        form.language.data = str(request.accept_languages.best_match(LANGUAGES) or "en")
        verified = verified_version(case)
        if verified is not None and verified.title:
            # The appeal starts as the verified story, so its title is the first suggestion;
            # showing the story's title is a look at the case's story, recorded as one.
            form.title.data = verified.title
            with audited_read():
                record_personal_data_view(case, actor=current_user, part="story")
    if form.validate_on_submit():
        drafted = attempt(
            form,
            lambda: services.create_appeal(
                case,
                currency=form.currency.data,
                language=form.language.data,
                title=given(form.title.data),
                actor=current_user,
            ),
        )
        if drafted:
            return back_to_appeal(drafted.value, _("The appeal was drafted."))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("campaigns/staff_new.html", form=form, case=case), status


@bp.get("/<slug>")
@staff_required(Action.VIEW_CASES)
def appeal(slug: str) -> tuple[str, int]:
    return render_appeal(load_in_organisation(Appeal, slug, Action.VIEW_CASES))


@bp.post("/<slug>/translation")
@staff_required(Action.EDIT_APPEAL)
def save_translation(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    form = TranslationForm()
    status_before = appeal.status
    if form.validate() and attempt(
        form,
        lambda: services.set_translation(
            appeal,
            form.language.data,
            title=given(form.title.data),
            summary=form.summary.data or "",
            story_markdown=form.story_markdown.data or "",
            display_name=form.display_name.data or "",
            actor=current_user,
        ),
    ):
        return back_to_appeal(appeal, _("The text was saved."), status_before=status_before)
    return render_appeal(appeal, 400, translation_form=form)


@bp.post("/<slug>/lines")
@staff_required(Action.EDIT_APPEAL)
def add_line(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    form = BudgetLineForm()
    if form.validate():
        try:
            amount = Money.parse(given(form.amount.data), appeal.currency)
        except MoneyError as exc:
            form.amount.errors = [*form.amount.errors, money_error_message(exc.code)]
        else:
            status_before = appeal.status
            if attempt(
                form,
                lambda: services.add_budget_line(
                    appeal,
                    amount=amount,
                    label=given(form.label.data),
                    language=appeal.fallback_language,
                    essential=bool(form.essential.data),
                    priority=form.priority.data or 1,
                    actor=current_user,
                ),
            ):
                return back_to_appeal(appeal, status_before=status_before)
    return render_appeal(appeal, 400, line_form=form)


@bp.post("/<slug>/lines/<int:line_id>/remove")
@staff_required(Action.EDIT_APPEAL)
def remove_line(slug: str, line_id: int) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.appeal_id != appeal.id:
        abort(404)
    status_before = appeal.status
    removed = attempt(None, lambda: services.remove_budget_line(line, actor=current_user))
    if not removed:
        return render_appeal(appeal, 400, action_error=removed.message)
    return back_to_appeal(appeal, status_before=status_before)


@bp.post("/<slug>/submit")
@staff_required(Action.EDIT_APPEAL)
def submit(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.EDIT_APPEAL)
    submitted = attempt(None, lambda: services.submit_for_review(appeal, actor=current_user))
    if not submitted:
        return render_appeal(appeal, 400, action_error=submitted.message)
    return back_to_appeal(appeal, _("The appeal was sent for review."))


@bp.post("/<slug>/return")
@staff_required(Action.VIEW_CASES)
def return_to_draft(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.VIEW_CASES)
    membership = current_membership()
    if not (
        policy.may(membership, Action.EDIT_APPEAL, appeal)
        or policy.may(membership, Action.APPROVE_APPEAL, appeal)
    ):
        abort(403)
    returned = attempt(None, lambda: services.return_to_draft(appeal, actor=current_user))
    if not returned:
        return render_appeal(appeal, 400, action_error=returned.message)
    return back_to_appeal(appeal, _("The appeal is a draft again."))
