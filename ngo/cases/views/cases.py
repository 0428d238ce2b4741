"""Case list, new case, and the profile, household, notes, tasks and history tabs."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo import audit_reading
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.models import Membership, Role, User
from ngo.accounts.policy import Action
from ngo.cases import listing, services
from ngo.cases.forms import (
    CONSENT_AUDIENCE_LABELS,
    CONSENT_ITEM_LABELS,
    RISK_LABELS,
    STATUS_LABELS,
    BeneficiaryForm,
    HouseholdForm,
    NoteForm,
    StatusForm,
    TaskForm,
)
from ngo.cases.listing import CaseFilters, CaseSort
from ngo.cases.models import (
    Beneficiary,
    CaseStatus,
    CaseTask,
    ConsentAudience,
    ConsentItem,
    HouseholdMember,
    RiskLevel,
)
from ngo.cases.services import BeneficiaryData
from ngo.cases.views import bp, record_view, render_case_tab
from ngo.extensions import db
from ngo.forms import given
from ngo.unit_of_work import attempt, audited_read

MAX_PAGE = 10_000


@bp.app_context_processor
def _case_labels() -> dict[str, object]:
    return {
        "status_label": lambda s: str(STATUS_LABELS[CaseStatus(s)]),
        "risk_label": lambda r: str(RISK_LABELS[RiskLevel(r)]),
        "consent_item_label": lambda i: str(CONSENT_ITEM_LABELS[ConsentItem(i)]),
        "consent_audience_label": lambda a: str(CONSENT_AUDIENCE_LABELS[ConsentAudience(a)]),
    }


def _staff_choices(organisation_id: int, roles: set[Role]) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(User.id, User.display_name)
        .join(Membership)
        .where(
            Membership.organisation_id == organisation_id,
            Membership.role.in_([r.value for r in roles]),
        )
        .order_by(User.display_name)
    ).all()
    return [("", _("Nobody yet"))] + [(str(uid), name) for uid, name in rows]


def _caseworker_choices(organisation_id: int) -> list[tuple[str, str]]:
    return _staff_choices(organisation_id, {Role.CASEWORKER, Role.ADMIN})


SORT_LABELS = {
    CaseSort.REGISTERED: _l("Newest first"),
    CaseSort.REFERENCE: _l("Reference"),
    CaseSort.NEXT_TASK: _l("Next task due"),
    CaseSort.STATUS: _l("Status"),
    CaseSort.RISK: _l("Highest risk first"),
}


def _parse_filters() -> tuple[CaseFilters, list[str]]:
    """Filters of the case list, and what was wrong with them: an unknown value is left out
    and said so on the page (answered 400), never silently replaced.

    A name is only accepted in a POST body: in a query string it would stay in browser
    history, proxy and access logs."""
    args = request.values
    problems: list[str] = []

    def choice(key: str, kind: Any) -> Any:
        value = args.get(key, "")
        if not value:
            return None
        try:
            return kind(value)
        except ValueError:
            problems.append(_("Unknown value for “%(filter)s”: it was left out.", filter=key))
            return None

    name = args.get("q", "")
    if request.method == "GET" and name:
        # Refused outright rather than listed unfiltered: the page must not answer a name.
        abort(400, description=_("Search by name with the form on the page."))
    if len(name) > 200:
        problems.append(_("The name is too long to search for: keep it under 200 characters."))
        name = ""
    page = choice("page", int)
    if page is None:
        page = 1
    elif not 1 <= page <= MAX_PAGE:
        problems.append(_("There is no such page: here is the first one."))
        page = 1
    return CaseFilters(
        status=choice("status", CaseStatus),
        caseworker_id=choice("caseworker", int),
        risk_level=choice("risk", RiskLevel),
        has_unverified_story=args.get("unverified") == "1",
        assigned_to_id=current_user.id if args.get("mine") == "1" else None,
        overdue=args.get("overdue") == "1",
        name=name,
        sort=choice("sort", CaseSort) or CaseSort.REGISTERED,
        page=page,
    ), problems


def list_query(filters: CaseFilters, **changes: Any) -> dict[str, str]:
    """The filters as query arguments (never the name: see _parse_filters), for the page and
    sort links and the hidden fields of the page buttons."""
    values = {
        "status": filters.status.value if filters.status else "",
        "risk": filters.risk_level.value if filters.risk_level else "",
        "caseworker": str(filters.caseworker_id or ""),
        "mine": "1" if filters.assigned_to_id else "",
        "overdue": "1" if filters.overdue else "",
        "unverified": "1" if filters.has_unverified_story else "",
        "sort": filters.sort.value if filters.sort is not CaseSort.REGISTERED else "",
        "page": str(filters.page) if filters.page > 1 else "",
    }
    values.update({key: str(value) for key, value in changes.items()})
    return {
        key: value
        for key, value in values.items()
        if value and not (key == "page" and value == "1")
    }


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page links to show: the first, the last and two either side of the current one,
    None where pages are left out."""
    wanted = {1, last, *range(current - 2, current + 3)}
    shown: list[int | None] = []
    previous = 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            shown.append(None)
        shown.append(number)
        previous = number
    return shown


@bp.route("/", methods=["GET", "POST"])
@staff_required(Action.VIEW_CASES)
def case_list() -> tuple[str, int]:
    membership = acting_membership()
    filters, problems = _parse_filters()
    rows, total = listing.case_page(membership.organisation_id, filters)
    last_page = listing.page_count(total)
    status = 400 if problems else 200
    if filters.page > last_page:
        problems.append(
            ngettext(
                "There is no page %(page)d: the list has %(num)d page.",
                "There is no page %(page)d: the list has %(num)d pages.",
                last_page,
                page=filters.page,
            )
        )
        status = 404
    page = render_template(
        "cases/list.html",
        rows=rows,
        total=total,
        filters=filters,
        problems=problems,
        last_page=last_page,
        page_numbers=page_numbers(min(filters.page, last_page), last_page),
        list_query=list_query,
        caseworkers=_caseworker_choices(membership.organisation_id)[1:],
        status_labels=STATUS_LABELS,
        risk_labels=RISK_LABELS,
        sort_labels=SORT_LABELS,
    )
    # Recorded once the page is rendered (a commit first would expire the loaded rows and
    # reload each one), committed before it leaves.
    with audited_read():
        listing.record_case_list_view(
            rows, actor=current_user, organisation_id=membership.organisation_id, filters=filters
        )
    return page, status


def _beneficiary_data(form: BeneficiaryForm) -> BeneficiaryData:
    values = {f.name: getattr(form, f.name).data for f in fields(BeneficiaryData)}
    values["risk_level"] = RiskLevel(form.risk_level.data)
    values["assigned_caseworker_id"] = (
        int(form.assigned_caseworker_id.data) if form.assigned_caseworker_id.data else None
    )
    return BeneficiaryData(**values)


@bp.route("/new", methods=["GET", "POST"])
@staff_required(Action.EDIT_CASE)
def new_case() -> Response | tuple[str, int]:
    membership = acting_membership()
    form = BeneficiaryForm()
    form.assigned_caseworker_id.choices = _caseworker_choices(membership.organisation_id)
    if not form.is_submitted():
        form.assigned_caseworker_id.data = str(current_user.id)
    if form.validate_on_submit():
        created = attempt(
            form,
            lambda: services.create_beneficiary(
                membership.organisation_id, _beneficiary_data(form), actor=current_user
            ),
        )
        if created:
            flash(_("The case was registered."), "success")
            return redirect(url_for("cases.profile", reference=created.value.reference))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("cases/edit.html", form=form, case=None), status


@bp.get("/<reference>")
@staff_required(Action.VIEW_CASES)
def profile(reference: str) -> tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    record_view(case, "profile")
    return render_case_tab("cases/profile.html", case, status_form=_status_form(case))


def _status_form(case: Beneficiary) -> StatusForm:
    # Preselect where the case is, so that a hurried click changes nothing (the service refuses
    # the same status) instead of sending an active case back to intake.
    form = StatusForm()
    if not form.is_submitted():
        form.status.data = case.status
    return form


@bp.route("/<reference>/edit", methods=["GET", "POST"])
@staff_required(Action.EDIT_CASE)
def edit_case(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
    form = BeneficiaryForm(obj=case)
    form.assigned_caseworker_id.choices = _caseworker_choices(case.organisation_id)
    if not form.is_submitted():
        form.assigned_caseworker_id.data = str(case.assigned_caseworker_id or "")
    if form.validate_on_submit() and attempt(
        form, lambda: services.update_beneficiary(case, _beneficiary_data(form), actor=current_user)
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("cases.profile", reference=case.reference))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("cases/edit.html", form=form, case=case), status


@bp.post("/<reference>/status")
@staff_required(Action.EDIT_CASE)
def change_status(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
    form = _status_form(case)
    if form.validate_on_submit() and attempt(
        form,
        lambda: services.change_status(
            case, CaseStatus(form.status.data), reason=form.reason.data, actor=current_user
        ),
    ):
        flash(_("The status was changed."), "success")
        return redirect(url_for("cases.profile", reference=case.reference))
    return render_case_tab("cases/profile.html", case, 400, status_form=form)


@bp.route("/<reference>/household", methods=["GET", "POST"])
@staff_required(Action.VIEW_CASES)
def household(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    form = HouseholdForm()
    if form.is_submitted():
        case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
        if form.validate() and attempt(
            form,
            lambda: services.add_household_member(
                case,
                relationship=given(form.relationship.data),
                first_name=form.first_name.data or "",
                age=form.age.data,
                actor=current_user,
            ),
        ):
            return redirect(url_for("cases.household", reference=reference))
        return render_case_tab(
            "cases/household.html", case, 400, form=form, confirm_form=ConfirmForm()
        )
    record_view(case, "household")
    return render_case_tab("cases/household.html", case, form=form, confirm_form=ConfirmForm())


@bp.post("/<reference>/household/<int:member_id>/remove")
@staff_required(Action.EDIT_CASE)
def remove_household_member(reference: str, member_id: int) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
    member = db.session.get(HouseholdMember, member_id)
    if member is None or member.beneficiary_id != case.id:
        abort(404)
    services.remove_household_member(member, actor=current_user)
    return redirect(url_for("cases.household", reference=reference))


@bp.route("/<reference>/notes", methods=["GET", "POST"])
@staff_required(Action.VIEW_CASES)
def notes(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    form = NoteForm()
    if form.is_submitted():
        case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
        if form.validate() and attempt(
            form, lambda: services.add_note(case, given(form.body.data), actor=current_user)
        ):
            return redirect(url_for("cases.notes", reference=reference))
        return render_case_tab("cases/notes.html", case, 400, form=form)
    record_view(case, "notes")
    return render_case_tab("cases/notes.html", case, form=form)


@bp.route("/<reference>/tasks", methods=["GET", "POST"])
@staff_required(Action.VIEW_CASES)
def tasks(reference: str) -> Response | tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    form = TaskForm()
    form.assignee_id.choices = _staff_choices(
        case.organisation_id, {Role.CASEWORKER, Role.ADMIN, Role.VERIFIER}
    )
    if form.is_submitted():
        case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
        if form.validate() and attempt(
            form,
            lambda: services.add_task(
                case,
                title=given(form.title.data),
                due_date=given(form.due_date.data),
                assignee_id=int(form.assignee_id.data) if form.assignee_id.data else None,
                actor=current_user,
            ),
        ):
            return redirect(url_for("cases.tasks", reference=reference))
        return _render_tasks(case, form, 400)
    return _render_tasks(case, form)


def _render_tasks(case: Beneficiary, form: TaskForm, status: int = 200) -> tuple[str, int]:
    # Task titles speak of the person ("call about the flat in ..."): every rendering is a view.
    record_view(case, "tasks")
    return render_case_tab("cases/tasks.html", case, status, form=form, confirm_form=ConfirmForm())


@bp.post("/<reference>/tasks/<int:task_id>/done")
@staff_required(Action.EDIT_CASE)
def complete_task(reference: str, task_id: int) -> Response:
    case = load_in_organisation(Beneficiary, reference, Action.EDIT_CASE)
    task = load_in_organisation(
        CaseTask, task_id, Action.EDIT_CASE, CaseTask.beneficiary_id == case.id
    )
    services.complete_task(task, actor=current_user)
    target = request.form.get("next")
    if target == "mine":
        return redirect(url_for("cases.my_tasks"))
    return redirect(url_for("cases.tasks", reference=reference))


@bp.get("/tasks/mine")
@staff_required(Action.VIEW_CASES)
def my_tasks() -> str:
    membership = acting_membership()
    return render_template(
        "cases/my_tasks.html",
        tasks=listing.open_tasks_of(current_user, membership.organisation_id),
        confirm_form=ConfirmForm(),
    )


@bp.get("/<reference>/history")
@staff_required(Action.VIEW_CASES)
def history(reference: str) -> tuple[str, int]:
    case = load_in_organisation(Beneficiary, reference, Action.VIEW_CASES)
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        abort(400, description=_("Unknown page."))
    # With the events of its appeals, their gifts, payments and receipts (registered by the
    # domains above cases, ngo/audit_related.py).
    rows, total = audit_reading.page_of_events(
        case.organisation_id,
        object_type="case",
        object_id=str(case.id),
        with_related=True,
        page=int(page),
    )
    page_html = render_case_tab(
        "cases/history.html",
        case,
        events=audit_reading.readable_events(rows, case.organisation_id),
        total=total,
        page=int(page),
        page_size=audit_reading.PAGE_SIZE,
    )
    # As in the case list: recorded once the page is rendered, committed before it leaves.
    record_view(case, "history")
    return page_html
