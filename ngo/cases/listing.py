"""Reading cases in bulk: the case list with its filters and search by name (blind index), the
caseworker's own tasks, and the counts the dashboard shows. Reads only, but for the audit
event that records who was shown which page of the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
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
