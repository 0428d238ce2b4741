"""What the dashboard lists of casework, as plain data: a caseworker's cases with their next
task, their overdue tasks, the stories returned to them and the consents about to expire; a
verifier's stories waiting for a second person; for the administrators, the consents about to
expire on cases no caseworker is assigned to. Reads only, scoped to one organisation, and a
fixed number of queries however many cases there are (each list is cut at LIST_LIMIT, its
total counted in SQL).

The lists name people (the case's public or legal name, a task's title), so the dashboard
records that it showed them (`record_dashboard_view`), as the case list does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from sqlalchemy import ScalarSelect, Select, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import User
from ngo.cases.models import (
    Beneficiary,
    CaseStatus,
    CaseTask,
    Consent,
    EvidenceItem,
    Story,
    StoryVersion,
    VersionStatus,
)
from ngo.cases.verification import written_under_review
from ngo.extensions import db

# How many items each list of the dashboard shows; the rest is a link to the full list.
LIST_LIMIT = 10
CONSENT_WARNING_DAYS = 30

T = TypeVar("T")


@dataclass(frozen=True)
class CaseRef:
    """A case as the dashboard names it."""

    reference: str
    label: str
    beneficiary_id: int


@dataclass(frozen=True)
class NextTask:
    case: CaseRef
    title: str | None
    due_date: date | None


@dataclass(frozen=True)
class TaskItem:
    case: CaseRef
    task_id: int
    title: str | None
    due_date: date


@dataclass(frozen=True)
class ReturnedStory:
    case: CaseRef
    version: int


@dataclass(frozen=True)
class ExpiringConsent:
    case: CaseRef
    item: str
    audience: str
    expires_on: date


@dataclass(frozen=True)
class StoryAwaiting:
    case: CaseRef
    version: int
    evidence_count: int


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first LIST_LIMIT items of a list and how many there are in all."""

    items: list[T]
    total: int


@dataclass(frozen=True)
class CaseworkerWork:
    my_cases: Listed[NextTask]
    overdue_tasks: Listed[TaskItem]
    returned_stories: Listed[ReturnedStory]
    expiring_consents: Listed[ExpiringConsent]

    def case_ids(self) -> set[int]:
        lists: list[Sequence[NextTask | TaskItem | ReturnedStory | ExpiringConsent]] = [
            self.my_cases.items,
            self.overdue_tasks.items,
            self.returned_stories.items,
            self.expiring_consents.items,
        ]
        return {item.case.beneficiary_id for items in lists for item in items}


@dataclass(frozen=True)
class VerifierWork:
    stories: Listed[StoryAwaiting]
    # Stories waiting that this verifier may not verify (they wrote some of the text).
    written_by_you: int

    def case_ids(self) -> set[int]:
        return {item.case.beneficiary_id for item in self.stories.items}


def _ref(case: Beneficiary) -> CaseRef:
    return CaseRef(case.reference, case.display_label, case.id)


def _count(stmt: Select[int]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _my_open_cases(user: User, organisation_id: int) -> Select[int]:
    return select(Beneficiary.id).where(
        Beneficiary.organisation_id == organisation_id,
        Beneficiary.assigned_caseworker_id == user.id,
        Beneficiary.status != CaseStatus.CLOSED.value,
        Beneficiary.erased_at.is_(None),
    )


def _my_cases(user: User, organisation_id: int, today: date) -> Listed[NextTask]:
    """The user's open cases, the one whose next task is soonest first (cases with no task
    last): two queries for the page, one for the count."""
    next_due = (
        select(func.min(CaseTask.due_date))
        .where(CaseTask.beneficiary_id == Beneficiary.id, CaseTask.done_at.is_(None))
        .correlate(Beneficiary)
        .scalar_subquery()
    )
    mine = _my_open_cases(user, organisation_id)
    cases = db.session.scalars(
        select(Beneficiary)
        .where(Beneficiary.id.in_(mine))
        .order_by(next_due.is_(None), next_due, Beneficiary.id)
        .limit(LIST_LIMIT)
    ).all()
    tasks = db.session.scalars(
        select(CaseTask)
        .where(CaseTask.beneficiary_id.in_([c.id for c in cases]), CaseTask.done_at.is_(None))
        .order_by(CaseTask.due_date, CaseTask.id)
    ).all()
    first_task: dict[int, CaseTask] = {}
    for task in tasks:
        first_task.setdefault(task.beneficiary_id, task)
    items = []
    for case in cases:
        next_task = first_task.get(case.id)
        items.append(
            NextTask(
                _ref(case),
                next_task.title if next_task else None,
                next_task.due_date if next_task else None,
            )
        )
    return Listed(items, _count(mine))


def _overdue_tasks(user: User, organisation_id: int, today: date) -> Listed[TaskItem]:
    overdue = select(CaseTask.id).where(
        CaseTask.organisation_id == organisation_id,
        CaseTask.assignee_id == user.id,
        CaseTask.done_at.is_(None),
        CaseTask.due_date < today,
    )
    tasks = db.session.scalars(
        select(CaseTask)
        .where(CaseTask.id.in_(overdue))
        .options(selectinload(CaseTask.beneficiary))
        .order_by(CaseTask.due_date, CaseTask.id)
        .limit(LIST_LIMIT)
    ).all()
    items = [TaskItem(_ref(t.beneficiary), t.id, t.title, t.due_date) for t in tasks]
    return Listed(items, _count(overdue))


def _latest_versions() -> Select[int]:
    """Ids of every story's latest version."""
    newest = (
        select(func.max(StoryVersion.number))
        .where(StoryVersion.story_id == Story.id)
        .correlate(Story)
        .scalar_subquery()
    )
    return select(StoryVersion.id).join(
        Story, and_(StoryVersion.story_id == Story.id, StoryVersion.number == newest)
    )


def _returned_stories(user: User, organisation_id: int) -> Listed[ReturnedStory]:
    """Stories whose latest version, written by the user, a verifier sent back."""
    returned = _latest_versions().where(
        Story.organisation_id == organisation_id,
        StoryVersion.status == VersionStatus.RETURNED.value,
        StoryVersion.author_id == user.id,
    )
    rows = db.session.execute(
        select(StoryVersion.number, Beneficiary)
        .join(Story, StoryVersion.story_id == Story.id)
        .join(Beneficiary, Beneficiary.id == Story.beneficiary_id)
        .where(StoryVersion.id.in_(returned))
        .order_by(StoryVersion.created_at, StoryVersion.id)
        .limit(LIST_LIMIT)
    ).all()
    return Listed([ReturnedStory(_ref(case), number) for number, case in rows], _count(returned))


def _unassigned_open_cases(organisation_id: int) -> Select[int]:
    return select(Beneficiary.id).where(
        Beneficiary.organisation_id == organisation_id,
        Beneficiary.assigned_caseworker_id.is_(None),
        Beneficiary.status != CaseStatus.CLOSED.value,
        Beneficiary.erased_at.is_(None),
    )


def _expiring_consents(user: User, organisation_id: int, today: date) -> Listed[ExpiringConsent]:
    """Consents in force on the user's open cases that end within CONSENT_WARNING_DAYS."""
    return _expiring_on(_my_open_cases(user, organisation_id), today)


def unassigned_expiring_consents(
    organisation_id: int, today: date | None = None
) -> Listed[ExpiringConsent]:
    """Consents in force that end within CONSENT_WARNING_DAYS on the organisation's open
    cases no caseworker is assigned to: nobody's own list shows them, so the administrators'
    dashboard does (three queries, whatever the caseload)."""
    return _expiring_on(_unassigned_open_cases(organisation_id), today or date.today())


def _expiring_on(cases: Select[int], today: date) -> Listed[ExpiringConsent]:
    """Consents in force on these cases that end within CONSENT_WARNING_DAYS, the soonest
    first: the first LIST_LIMIT and how many in all."""
    expiring = select(Consent.id).where(
        Consent.beneficiary_id.in_(cases),
        Consent.withdrawn_at.is_(None),
        Consent.given_on <= today,
        Consent.expires_on >= today,
        Consent.expires_on <= today + timedelta(days=CONSENT_WARNING_DAYS),
    )
    consents = db.session.scalars(
        select(Consent)
        .where(Consent.id.in_(expiring))
        .options(selectinload(Consent.beneficiary))
        .order_by(Consent.expires_on, Consent.id)
        .limit(LIST_LIMIT)
    ).all()
    items = [
        ExpiringConsent(_ref(c.beneficiary), c.item, c.audience, c.expires_on)
        for c in consents
        if c.expires_on is not None
    ]
    return Listed(items, _count(expiring))


def caseworker_work(user: User, organisation_id: int, today: date | None = None) -> CaseworkerWork:
    """A caseworker's lists for the dashboard: eleven queries, whatever the caseload."""
    today = today or date.today()
    return CaseworkerWork(
        my_cases=_my_cases(user, organisation_id, today),
        overdue_tasks=_overdue_tasks(user, organisation_id, today),
        returned_stories=_returned_stories(user, organisation_id),
        expiring_consents=_expiring_consents(user, organisation_id, today),
    )


def evidence_counts(beneficiary_ids: Sequence[int]) -> dict[int, int]:
    """Live (not destroyed) evidence items per case: one query for any number of cases."""
    if not beneficiary_ids:
        return {}
    rows = db.session.execute(
        select(EvidenceItem.beneficiary_id, func.count(EvidenceItem.id))
        .where(
            EvidenceItem.beneficiary_id.in_(set(beneficiary_ids)),
            EvidenceItem.destroyed_at.is_(None),
        )
        .group_by(EvidenceItem.beneficiary_id)
    ).all()
    return {beneficiary_id: int(count) for beneficiary_id, count in rows}


def _waiting_versions(organisation_id: int) -> Select[int]:
    """Ids of each story's latest version once submitted, of the organisation's cases that
    were not erased: what a second person may verify (`verification.decision_refusals`)."""
    return _latest_versions().where(
        Story.organisation_id == organisation_id,
        StoryVersion.status == VersionStatus.SUBMITTED.value,
        Story.beneficiary_id.in_(
            select(Beneficiary.id).where(
                Beneficiary.organisation_id == organisation_id, Beneficiary.erased_at.is_(None)
            )
        ),
    )


def _live_evidence_count() -> ScalarSelect[int]:
    """The case's documents not destroyed, for each row of a query of cases."""
    return (
        select(func.count(EvidenceItem.id))
        .where(
            EvidenceItem.beneficiary_id == Beneficiary.id,
            EvidenceItem.organisation_id == Beneficiary.organisation_id,
            EvidenceItem.destroyed_at.is_(None),
        )
        .correlate(Beneficiary)
        .scalar_subquery()
    )


def verifier_work(user: User, organisation_id: int) -> VerifierWork:
    """Stories waiting for a second person that this user may verify (four eyes: never text
    they wrote, `cases.verification.written_under_review`, the rule the verification itself
    applies), the longest waiting first, each with the case's evidence count. Two queries
    in SQL whatever the number of stories: the page, and both counts."""
    waiting = _waiting_versions(organisation_id).subquery()
    theirs = written_under_review(StoryVersion.id, user.id)
    rows = db.session.execute(
        select(StoryVersion.number, Beneficiary, _live_evidence_count())
        .join(Story, StoryVersion.story_id == Story.id)
        .join(Beneficiary, Beneficiary.id == Story.beneficiary_id)
        .where(StoryVersion.id.in_(select(waiting.c.id)), ~theirs)
        .order_by(StoryVersion.submitted_at, StoryVersion.id)
        .limit(LIST_LIMIT)
    ).all()
    counts = db.session.execute(
        select(func.count(), func.coalesce(func.sum(sql_case((theirs, 1), else_=0)), 0))
        .select_from(StoryVersion)
        .where(StoryVersion.id.in_(select(waiting.c.id)))
    ).one()
    waiting_total, written_by_you = int(counts[0]), int(counts[1])
    items = [
        StoryAwaiting(_ref(person), number, int(evidence)) for number, person, evidence in rows
    ]
    return VerifierWork(
        Listed(items, waiting_total - written_by_you), written_by_you=written_by_you
    )


def record_dashboard_view(case_ids: set[int], *, actor: User, organisation_id: int) -> None:
    """The dashboard names people: one event naming the cases it showed (as the case list's
    event does), none when it showed nobody."""
    if not case_ids:
        return
    audit.record(
        "case.personal_data_viewed",
        actor_id=actor.id,
        organisation_id=organisation_id,
        details={"part": "dashboard", "cases": sorted(case_ids)},
    )
