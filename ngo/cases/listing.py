"""Reading cases in bulk: the case list with its filters, sorting and search by name (blind
index), the caseworker's own tasks, and the counts the dashboard shows. Reads only, but for the
audit event that records who was shown which page of the list.

The list is not sorted by name: names are encrypted (the database holds only ciphertext and
keyed hashes of words, neither in alphabetical order), so sorting by name would mean decrypting
every case of the organisation for each page. Sorting one page of 50 by name in Python would
look like a sorted list but mix names from different pages; finding a person is the name
search's job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import User
from ngo.cases.models import Beneficiary, BeneficiaryNameIndex, CaseStatus, CaseTask, RiskLevel
from ngo.cases.names import name_tokens
from ngo.cases.services import NAME_INDEX_PURPOSE
from ngo.cases.stories import beneficiaries_with_unverified_story
from ngo.crypto import blind_index
from ngo.extensions import db

PAGE_SIZE = 50


class CaseSort(StrEnum):
    """The orders the case list offers; each has its natural direction."""

    REGISTERED = "registered"  # newest first
    REFERENCE = "reference"
    NEXT_TASK = "next_task"  # soonest first, cases with no open task last
    STATUS = "status"  # intake, assessment, active, closed
    RISK = "risk"  # critical first


@dataclass(frozen=True)
class CaseFilters:
    status: CaseStatus | None = None
    caseworker_id: int | None = None
    risk_level: RiskLevel | None = None
    has_unverified_story: bool = False
    # Only cases assigned to this user (the "mine" filter: the viewer's own id).
    assigned_to_id: int | None = None
    # Only cases with an open task past its due date.
    overdue: bool = False
    name: str = ""
    sort: CaseSort = CaseSort.REGISTERED
    page: int = 1


@dataclass(frozen=True)
class CaseRow:
    case: Beneficiary
    next_task_due: date | None

    @property
    def overdue(self) -> bool:
        return self.next_task_due is not None and self.next_task_due < date.today()


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


def _next_task_due() -> Any:
    """The due date of the case's soonest open task (None if it has none)."""
    return (
        select(func.min(CaseTask.due_date))
        .where(CaseTask.beneficiary_id == Beneficiary.id, CaseTask.done_at.is_(None))
        .correlate(Beneficiary)
        .scalar_subquery()
    )


def _ordering(sort: CaseSort, next_due: Any) -> list[Any]:
    status_rank = case(
        {s.value: n for n, s in enumerate(CaseStatus)}, value=Beneficiary.status, else_=99
    )
    risk_rank = case(
        {r.value: n for n, r in enumerate(RiskLevel)}, value=Beneficiary.risk_level, else_=-1
    )
    newest = [Beneficiary.created_at.desc(), Beneficiary.id.desc()]
    orders: dict[CaseSort, list[Any]] = {
        CaseSort.REGISTERED: newest,
        CaseSort.REFERENCE: [Beneficiary.reference, Beneficiary.id],
        CaseSort.NEXT_TASK: [next_due.is_(None), next_due, *newest],
        CaseSort.STATUS: [status_rank, *newest],
        CaseSort.RISK: [risk_rank.desc(), *newest],
    }
    return orders[sort]


def case_page(organisation_id: int, filters: CaseFilters) -> tuple[list[CaseRow], int]:
    """A page of the organisation's cases, each with its next task's due date, and the total
    count: three queries (the page's caseworkers are loaded in one), whatever the page size
    and the number of cases. Only the page's rows are loaded, so only their names are
    decrypted."""
    stmt = select(Beneficiary).where(Beneficiary.organisation_id == organisation_id)
    if filters.status is not None:
        stmt = stmt.where(Beneficiary.status == filters.status.value)
    if filters.caseworker_id is not None:
        stmt = stmt.where(Beneficiary.assigned_caseworker_id == filters.caseworker_id)
    if filters.assigned_to_id is not None:
        stmt = stmt.where(Beneficiary.assigned_caseworker_id == filters.assigned_to_id)
    if filters.risk_level is not None:
        stmt = stmt.where(Beneficiary.risk_level == filters.risk_level.value)
    if filters.has_unverified_story:
        stmt = stmt.where(Beneficiary.id.in_(beneficiaries_with_unverified_story(organisation_id)))
    if filters.overdue:
        stmt = stmt.where(
            exists(
                select(CaseTask.id).where(
                    CaseTask.beneficiary_id == Beneficiary.id,
                    CaseTask.done_at.is_(None),
                    CaseTask.due_date < date.today(),
                )
            )
        )
    if filters.name.strip():
        if not name_tokens(filters.name):
            return [], 0
        stmt = stmt.where(Beneficiary.id.in_(matching_ids_by_name(organisation_id, filters.name)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, filters.page)
    next_due = _next_task_due()
    rows = db.session.execute(
        stmt.add_columns(next_due)
        .options(selectinload(Beneficiary.assigned_caseworker))
        .order_by(*_ordering(filters.sort, next_due))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return [CaseRow(beneficiary, due) for beneficiary, due in rows], int(total or 0)


def list_cases(organisation_id: int, filters: CaseFilters) -> tuple[list[Beneficiary], int]:
    """The cases alone of `case_page` (search, the rights and rotation checks)."""
    rows, total = case_page(organisation_id, filters)
    return [row.case for row in rows], total


def page_count(total: int) -> int:
    """How many pages `total` cases fill (one, even when there is none)."""
    return max(1, -(-total // PAGE_SIZE))


@dataclass(frozen=True)
class Caseload:
    open_tasks: int
    overdue_tasks: int
    unverified_stories: int


def caseload_summary(user: User, organisation_id: int) -> Caseload:
    """What the dashboard shows a caseworker or verifier: three counts, three queries."""
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


def record_case_list_view(
    rows: list[CaseRow], *, actor: User, organisation_id: int, filters: CaseFilters
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
            "cases": [row.case.id for row in rows],
            "page": filters.page,
            "name_search": bool(filters.name.strip()),
        },
    )
