"""Case operations: beneficiaries, household, notes, tasks, status. Each takes the acting user,
changes state, writes the audit log (never personal values) and flushes; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ngo import audit
from ngo.accounts.models import Membership, User
from ngo.cases.errors import CaseError, refuse_erased
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
    audit.record_change(beneficiary, actor, "case.created")
    return beneficiary


def update_beneficiary(beneficiary: Beneficiary, data: BeneficiaryData, *, actor: User) -> None:
    refuse_erased(beneficiary)
    _check(data, beneficiary.organisation_id)
    _apply(beneficiary, data)
    audit.record_change(beneficiary, actor, "case.updated")


def change_status(
    beneficiary: Beneficiary, status: CaseStatus, *, reason: str | None, actor: User
) -> None:
    refuse_erased(beneficiary)
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
    audit.record_change(
        beneficiary, actor, "case.status_changed", **{"from": current.value, "to": status.value}
    )


def record_personal_data_view(beneficiary: Beneficiary, *, actor: User, part: str) -> None:
    """Looking at a person's data is itself recorded: who looked, at which part, when."""
    audit.record_change(beneficiary, actor, "case.personal_data_viewed", part=part)


# Household, notes, tasks ----------------------------------------------------------------


def add_household_member(
    beneficiary: Beneficiary,
    *,
    relationship: str,
    first_name: str,
    age: int | None,
    actor: User,
) -> HouseholdMember:
    refuse_erased(beneficiary)
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
    audit.record_change(beneficiary, actor, "case.household_added")
    return member


def remove_household_member(member: HouseholdMember, *, actor: User) -> None:
    beneficiary = member.beneficiary
    refuse_erased(beneficiary)
    db.session.delete(member)
    audit.record_change(beneficiary, actor, "case.household_removed")


def add_note(beneficiary: Beneficiary, body: str, *, actor: User) -> CaseNote:
    refuse_erased(beneficiary)
    if not _clean(body):
        raise CaseError(_l("Write something in the note."), field="body")
    note = CaseNote(beneficiary=beneficiary, body=body.strip(), author_id=actor.id)
    db.session.add(note)
    db.session.flush()
    audit.record_change(beneficiary, actor, "case.note_added")
    return note


def add_task(
    beneficiary: Beneficiary,
    *,
    title: str,
    due_date: date,
    assignee_id: int | None,
    actor: User,
) -> CaseTask:
    refuse_erased(beneficiary)
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
    audit.record_change(beneficiary, actor, "case.task_added")
    return task


def complete_task(task: CaseTask, *, actor: User) -> None:
    if task.done_at is None:
        task.done_at = utcnow()
        audit.record_change(task.beneficiary, actor, "case.task_done")
