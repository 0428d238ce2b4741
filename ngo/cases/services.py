"""Case operations: beneficiaries, household, notes, tasks, status. Each takes the acting user,
changes state, writes the audit log (never personal values) and flushes; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import Membership, User
from ngo.cases.errors import CaseError
from ngo.cases.models import (
    Beneficiary,
    BeneficiaryNameIndex,
    CaseNote,
    CaseStatus,
    CaseTask,
    HouseholdMember,
    RiskLevel,
)
from ngo.cases.names import name_tokens
from ngo.crypto import blind_index
from ngo.extensions import db
from ngo.timeutil import utcnow

NAME_INDEX_PURPOSE = "beneficiary-name"
PAGE_SIZE = 50

# Where a case may go next. Closing needs a reason; a closed case can be reopened.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.INTAKE: frozenset({CaseStatus.ASSESSMENT, CaseStatus.CLOSED}),
    CaseStatus.ASSESSMENT: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSED}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.ACTIVE}),
}


@dataclass
class BeneficiaryData:
    """The editable personal fields of a beneficiary, as a form delivers them."""

    legal_name: str
    public_name: str | None = None
    date_of_birth: date | None = None
    nationality: str | None = None
    country_of_residence: str | None = None
    city_of_residence: str | None = None
    phone: str | None = None
    email: str | None = None
    messenger: str | None = None
    legal_status: str | None = None
    needs: str | None = None
    vulnerabilities: str | None = None
    risk_level: RiskLevel = RiskLevel.MEDIUM
    assigned_caseworker_id: int | None = None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _check(data: BeneficiaryData, organisation_id: int) -> None:
    if not _clean(data.legal_name):
        raise CaseError(_l("Enter the person's legal name."), field="legal_name")
    if data.date_of_birth is not None and data.date_of_birth > date.today():
        raise CaseError(_l("The date of birth cannot be in the future."), field="date_of_birth")
    if data.date_of_birth is not None and data.date_of_birth.year < 1900:
        raise CaseError(_l("Check the year of birth."), field="date_of_birth")
    if data.assigned_caseworker_id is not None:
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == data.assigned_caseworker_id,
                Membership.organisation_id == organisation_id,
            )
        )
        if member is None:
            raise CaseError(
                _l("Choose a caseworker of this organisation."), field="assigned_caseworker_id"
            )


def _apply(beneficiary: Beneficiary, data: BeneficiaryData) -> None:
    for field in fields(data):
        value = _clean(getattr(data, field.name))
        if field.name == "risk_level":
            value = RiskLevel(value).value
        setattr(beneficiary, field.name, value)
    reindex_names(beneficiary)


def reindex_names(beneficiary: Beneficiary) -> None:
    """Replace the blind-index rows of the legal and public names."""
    if beneficiary.id is None:
        db.session.flush()
    db.session.execute(
        delete(BeneficiaryNameIndex).where(BeneficiaryNameIndex.beneficiary_id == beneficiary.id)
    )
    tokens = name_tokens(f"{beneficiary.legal_name or ''} {beneficiary.public_name or ''}")
    db.session.add_all(
        BeneficiaryNameIndex(
            beneficiary_id=beneficiary.id,
            organisation_id=beneficiary.organisation_id,
            token=blind_index(NAME_INDEX_PURPOSE, token),
        )
        for token in sorted(tokens)
    )


def create_beneficiary(organisation_id: int, data: BeneficiaryData, *, actor: User) -> Beneficiary:
    _check(data, organisation_id)
    beneficiary = Beneficiary(organisation_id=organisation_id)
    db.session.add(beneficiary)
    db.session.flush()
    _apply(beneficiary, data)
    db.session.flush()
    audit.record(
        "case.created",
        actor_id=actor.id,
        organisation_id=organisation_id,
        object_type="case",
        object_id=beneficiary.id,
    )
    return beneficiary


def update_beneficiary(beneficiary: Beneficiary, data: BeneficiaryData, *, actor: User) -> None:
    _refuse_erased(beneficiary)
    _check(data, beneficiary.organisation_id)
    _apply(beneficiary, data)
    audit.record(
        "case.updated",
        actor_id=actor.id,
        organisation_id=beneficiary.organisation_id,
        object_type="case",
        object_id=beneficiary.id,
    )


def _refuse_erased(beneficiary: Beneficiary) -> None:
    if beneficiary.erased_at is not None:
        raise CaseError(_l("This case was erased; it cannot be changed."))


def change_status(
    beneficiary: Beneficiary, status: CaseStatus, *, reason: str | None, actor: User
) -> None:
    _refuse_erased(beneficiary)
    current = CaseStatus(beneficiary.status)
    if status is current:
        raise CaseError(_l("The case already has this status. Choose another one."), field="status")
    if status not in TRANSITIONS[current]:
        raise CaseError(_l("A case cannot move from this status to that one."), field="status")
    if status is CaseStatus.CLOSED:
        if not _clean(reason):
            raise CaseError(_l("Say why the case is closed."), field="reason")
        beneficiary.closed_reason = _clean(reason)
        beneficiary.closed_at = utcnow()
    else:
        beneficiary.closed_reason = None
        beneficiary.closed_at = None
    beneficiary.status = status.value
    audit.record(
        "case.status_changed",
        actor_id=actor.id,
        organisation_id=beneficiary.organisation_id,
        object_type="case",
        object_id=beneficiary.id,
        details={"from": current.value, "to": status.value},
    )


def record_personal_data_view(beneficiary: Beneficiary, *, actor: User, part: str) -> None:
    """Looking at a person's data is itself recorded: who looked, at which part, when."""
    audit.record(
        "case.personal_data_viewed",
        actor_id=actor.id,
        organisation_id=beneficiary.organisation_id,
        object_type="case",
        object_id=beneficiary.id,
        details={"part": part},
    )


def record_case_list_view(
    rows: list[Beneficiary], *, actor: User, organisation_id: int, filters: CaseFilters
) -> None:
    """The case list shows names too: one event per page shown, naming the cases on it by
    their ids. One event rather than one per case keeps each case's History tab readable.
    Whether a name was searched is recorded, the name itself never."""
    audit.record(
        "case.personal_data_viewed",
        actor_id=actor.id,
        organisation_id=organisation_id,
        details={
            "part": "list",
            "cases": [row.id for row in rows],
            "page": filters.page,
            "name_search": bool(filters.name.strip()),
        },
    )


# Household, notes, tasks ----------------------------------------------------------------


def add_household_member(
    beneficiary: Beneficiary,
    *,
    relationship: str,
    first_name: str,
    age: int | None,
    actor: User,
) -> HouseholdMember:
    _refuse_erased(beneficiary)
    if not _clean(relationship):
        raise CaseError(_l("Say how this person is related."), field="relationship")
    if age is not None and not 0 <= age <= 120:
        raise CaseError(_l("Enter an age between 0 and 120."), field="age")
    member = HouseholdMember(
        beneficiary=beneficiary,
        relationship_to_beneficiary=_clean(relationship),
        first_name=_clean(first_name),
    )
    member.age = age
    db.session.add(member)
    db.session.flush()
    _audit_case_change(beneficiary, actor, "case.household_added")
    return member


def remove_household_member(member: HouseholdMember, *, actor: User) -> None:
    beneficiary = member.beneficiary
    _refuse_erased(beneficiary)
    db.session.delete(member)
    _audit_case_change(beneficiary, actor, "case.household_removed")


def add_note(beneficiary: Beneficiary, body: str, *, actor: User) -> CaseNote:
    _refuse_erased(beneficiary)
    if not _clean(body):
        raise CaseError(_l("Write something in the note."), field="body")
    note = CaseNote(beneficiary=beneficiary, body=body.strip(), author_id=actor.id)
    db.session.add(note)
    db.session.flush()
    _audit_case_change(beneficiary, actor, "case.note_added")
    return note


def add_task(
    beneficiary: Beneficiary,
    *,
    title: str,
    due_date: date,
    assignee_id: int | None,
    actor: User,
) -> CaseTask:
    _refuse_erased(beneficiary)
    if not _clean(title):
        raise CaseError(_l("Say what needs doing."), field="title")
    if assignee_id is not None:
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == assignee_id,
                Membership.organisation_id == beneficiary.organisation_id,
            )
        )
        if member is None:
            raise CaseError(_l("Choose someone of this organisation."), field="assignee_id")
    task = CaseTask(
        beneficiary=beneficiary,
        organisation_id=beneficiary.organisation_id,
        title=title.strip(),
        due_date=due_date,
        assignee_id=assignee_id,
        created_by_id=actor.id,
    )
    db.session.add(task)
    db.session.flush()
    _audit_case_change(beneficiary, actor, "case.task_added")
    return task


def complete_task(task: CaseTask, *, actor: User) -> None:
    if task.done_at is None:
        task.done_at = utcnow()
        _audit_case_change(task.beneficiary, actor, "case.task_done")


def open_tasks_of(user: User, organisation_id: int) -> list[CaseTask]:
    """'My tasks': open tasks assigned to the user in the acting organisation, soonest first."""
    return list(
        db.session.scalars(
            select(CaseTask)
            .where(
                CaseTask.organisation_id == organisation_id,
                CaseTask.assignee_id == user.id,
                CaseTask.done_at.is_(None),
            )
            .options(selectinload(CaseTask.beneficiary))
            .order_by(CaseTask.due_date, CaseTask.id)
        )
    )


def _audit_case_change(beneficiary: Beneficiary, actor: User, action: str) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        organisation_id=beneficiary.organisation_id,
        object_type="case",
        object_id=beneficiary.id,
    )


# Listing and search ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    status: CaseStatus | None = None
    caseworker_id: int | None = None
    risk_level: RiskLevel | None = None
    has_unverified_story: bool = False
    name: str = ""
    page: int = 1


def matching_ids_by_name(organisation_id: int, name: str) -> Select[int]:
    """Ids of beneficiaries whose names contain every word of `name`, found by blind index:
    one query whatever the size of the table."""
    tokens = [blind_index(NAME_INDEX_PURPOSE, t) for t in sorted(name_tokens(name))]
    return (
        select(BeneficiaryNameIndex.beneficiary_id)
        .where(
            BeneficiaryNameIndex.organisation_id == organisation_id,
            BeneficiaryNameIndex.token.in_(tokens),
        )
        .group_by(BeneficiaryNameIndex.beneficiary_id)
        .having(func.count(func.distinct(BeneficiaryNameIndex.token)) == len(tokens))
    )


def list_cases(organisation_id: int, filters: CaseFilters) -> tuple[list[Beneficiary], int]:
    """A page of the organisation's cases and the total count: three queries (the page's
    caseworkers are loaded in one more), whatever the page size."""
    stmt = select(Beneficiary).where(Beneficiary.organisation_id == organisation_id)
    if filters.status is not None:
        stmt = stmt.where(Beneficiary.status == filters.status.value)
    if filters.caseworker_id is not None:
        stmt = stmt.where(Beneficiary.assigned_caseworker_id == filters.caseworker_id)
    if filters.risk_level is not None:
        stmt = stmt.where(Beneficiary.risk_level == filters.risk_level.value)
    if filters.has_unverified_story:
        from ngo.cases.stories import beneficiaries_with_unverified_story

        stmt = stmt.where(Beneficiary.id.in_(beneficiaries_with_unverified_story(organisation_id)))
    if filters.name.strip():
        if not name_tokens(filters.name):
            return [], 0
        stmt = stmt.where(Beneficiary.id.in_(matching_ids_by_name(organisation_id, filters.name)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, filters.page)
    rows = db.session.scalars(
        stmt.options(selectinload(Beneficiary.assigned_caseworker))
        .order_by(Beneficiary.created_at.desc(), Beneficiary.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), int(total or 0)


@dataclass(frozen=True)
class Caseload:
    open_tasks: int
    overdue_tasks: int
    unverified_stories: int


def caseload_summary(user: User, organisation_id: int) -> Caseload:
    """What the dashboard shows a caseworker or verifier: three counts, three queries."""
    from ngo.cases.stories import beneficiaries_with_unverified_story

    open_tasks = select(func.count(CaseTask.id)).where(
        CaseTask.organisation_id == organisation_id,
        CaseTask.assignee_id == user.id,
        CaseTask.done_at.is_(None),
    )
    return Caseload(
        open_tasks=db.session.scalar(open_tasks) or 0,
        overdue_tasks=db.session.scalar(open_tasks.where(CaseTask.due_date < date.today())) or 0,
        unverified_stories=db.session.scalar(
            select(func.count()).select_from(
                beneficiaries_with_unverified_story(organisation_id).subquery()
            )
        )
        or 0,
    )
