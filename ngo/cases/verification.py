"""Verifying a version of a story: a second person approves it, with four checks each backed
by evidence, or returns it with comments (the rules are listed in cases/stories.py). Flushes;
the caller commits.

Which decisions are possible is asked once, here (`decision_refusals`): the story tab offers
only those, the dashboard lists only the stories a verifier may decide (the same four-eyes
rule, as SQL: `written_under_review`), and `verify_version` refuses by the same answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, func, select
from sqlalchemy.orm import aliased

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.cases.errors import CaseError, refuse_erased
from ngo.cases.models import (
    Beneficiary,
    CheckKind,
    EvidenceItem,
    StoryVersion,
    Verification,
    VerificationCheck,
    VerificationCheckEvidence,
    VersionStatus,
)
from ngo.cases.stories import beneficiary_of, latest_version
from ngo.extensions import db
from ngo.timeutil import utcnow

MAX_NOTE_LENGTH = 2_000
MAX_COMMENTS_LENGTH = 5_000


@dataclass(frozen=True)
class CheckResult:
    """One of the four checks as the verifier decided it."""

    kind: CheckKind
    passed: bool
    evidence_item_id: int | None = None
    note: str | None = None
    # More items the check rests on, besides (or instead of) evidence_item_id.
    evidence_item_ids: tuple[int, ...] = ()

    @property
    def cited(self) -> list[int]:
        """Every item cited, once each, evidence_item_id first."""
        first = [] if self.evidence_item_id is None else [self.evidence_item_id]
        return list(dict.fromkeys([*first, *self.evidence_item_ids]))


def authors_under_review(version_id: int | SQLColumnExpression[int]) -> Select[int | None]:
    """The authors whose text a verifier of the version would confirm: of this version back
    to, and including, the last approved one before it (every version if none ever was).
    `version_id` may be a column of an enclosing query (the dashboard's list), which this
    then correlates to."""
    version, earlier, written = (aliased(StoryVersion) for _ in range(3))
    approved = exists().where(
        Verification.story_version_id == earlier.id, Verification.approved.is_(True)
    )
    last_approved = (
        select(func.max(earlier.number))
        .where(earlier.story_id == version.story_id, earlier.number < version.number, approved)
        .scalar_subquery()
    )
    return (
        select(written.author_id)
        .join(
            version,
            and_(
                written.story_id == version.story_id,
                written.number <= version.number,
                written.number >= func.coalesce(last_approved, 0),
            ),
        )
        .where(version.id == version_id)
    )


def written_under_review(
    version_id: int | SQLColumnExpression[int], user_id: int
) -> ColumnElement[bool]:
    """Whether the user wrote any of the text a verifier of the version would confirm: the
    SQL of `verification_refusal`'s four eyes, for lists."""
    authors = authors_under_review(version_id)
    return exists(authors.where(authors.selected_columns[0] == user_id))


def verification_refusal(version: StoryVersion, verifier: User) -> str | None:
    """Why `verifier` may not verify this version (they wrote some of the text), or None."""
    authors = set(db.session.scalars(authors_under_review(version.id)))
    return four_eyes_refusal(verifier.id, authors=authors)


def four_eyes_conflict(version: StoryVersion, verifier: User) -> bool:
    """True if `verifier` wrote any of the text they would be verifying."""
    return verification_refusal(version, verifier) is not None


@dataclass(frozen=True)
class Refusals:
    """Why each decision on a version is impossible for a verifier; None where it is possible."""

    approve: str | None
    send_back: str | None


def decision_refusals(version: StoryVersion, verifier: User) -> Refusals:
    """Which decisions `verify_version` would take from `verifier` on this version: both are
    refused on an erased case, for anything but the latest version once submitted, and by
    four eyes; approving also needs evidence of the case to cite (each check must cite some,
    and pass, which only the form's answers can tell)."""
    story = version.story
    beneficiary = beneficiary_of(story)
    refusal: str | None = None
    if beneficiary.erased_at is not None:
        refusal = str(_l("This case was erased; it cannot be changed."))
    elif version.status != VersionStatus.SUBMITTED.value or version is not latest_version(story):
        refusal = str(_l("Only the latest version, once submitted, can be verified."))
    else:
        refusal = verification_refusal(version, verifier)
    if refusal is not None:
        return Refusals(approve=refusal, send_back=refusal)
    if not _has_live_evidence(beneficiary):
        return Refusals(
            approve=str(
                _l(
                    "This case has no evidence yet, so the story can only be returned. "
                    "Evidence is added on the Evidence tab."
                )
            ),
            send_back=None,
        )
    return Refusals(approve=None, send_back=None)


def _has_live_evidence(beneficiary: Beneficiary) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    EvidenceItem.beneficiary_id == beneficiary.id,
                    EvidenceItem.organisation_id == beneficiary.organisation_id,
                    EvidenceItem.destroyed_at.is_(None),
                )
            )
        )
    )


def _checked_evidence(beneficiary: Beneficiary, evidence_ids: set[int]) -> set[int]:
    """The ids among `evidence_ids` that are live evidence of this beneficiary."""
    if not evidence_ids:
        return set()
    return set(
        db.session.scalars(
            select(EvidenceItem.id).where(
                EvidenceItem.id.in_(evidence_ids),
                EvidenceItem.beneficiary_id == beneficiary.id,
                EvidenceItem.organisation_id == beneficiary.organisation_id,
                EvidenceItem.destroyed_at.is_(None),
            )
        )
    )


def verify_version(
    version: StoryVersion,
    *,
    verifier: User,
    approved: bool,
    checks: list[CheckResult],
    comments: str | None,
) -> Verification:
    """Approve the version (it becomes the verified story) or return it to its author.

    A refusal names its field as the verification form does: "comments", or "<check>-passed",
    "<check>-evidence", "<check>-note" (e.g. "budget-evidence")."""
    story = version.story
    beneficiary = beneficiary_of(story)
    refuse_erased(beneficiary)
    refusals = decision_refusals(version, verifier)
    refusal = refusals.approve if approved else refusals.send_back
    if refusal is not None:
        raise CaseError(refusal)
    comments = (comments or "").strip() or None
    if comments is not None and len(comments) > MAX_COMMENTS_LENGTH:
        raise CaseError(_l("The comments are too long."), field="comments")

    by_kind: dict[CheckKind, CheckResult] = {}
    for check in checks:
        kind = CheckKind(check.kind)
        if kind in by_kind:
            raise CaseError(_l("Each check can be given only once."))
        if check.note is not None and len(check.note) > MAX_NOTE_LENGTH:
            raise CaseError(_l("A note is too long."), field=f"{kind.value}-note")
        by_kind[kind] = check
    cited = {item for c in by_kind.values() for item in c.cited}
    valid = _checked_evidence(beneficiary, cited)
    for kind, check in by_kind.items():
        if any(item not in valid for item in check.cited):
            raise CaseError(
                _l("Choose evidence of this case that has not been destroyed."),
                field=f"{kind.value}-evidence",
            )

    if approved:
        for kind in CheckKind:
            found = by_kind.get(kind)
            if found is None or not found.passed:
                raise CaseError(
                    _l("To approve, every check must be passed."), field=f"{kind.value}-passed"
                )
            if not found.cited:
                raise CaseError(
                    _l("To approve, link each check to the evidence that supports it."),
                    field=f"{kind.value}-evidence",
                )
    elif comments is None:
        raise CaseError(
            _l("Say what needs to change before the story can be verified."), field="comments"
        )

    now = utcnow()
    verification = Verification(
        verifier_id=verifier.id,
        approved=approved,
        comments=comments,
        decided_at=now,
        expires_at=now + timedelta(days=int(current_app.config["VERIFICATION_VALID_DAYS"]))
        if approved
        else None,
    )
    for kind in CheckKind:
        given = by_kind.get(kind)
        if given is None:
            continue
        items = given.cited
        verification.checks.append(
            VerificationCheck(
                check=kind.value,
                passed=bool(given.passed),
                evidence_item_id=items[0] if items else None,
                note=(given.note or "").strip() or None,
                cited=[VerificationCheckEvidence(evidence_item_id=item) for item in items],
            )
        )
    version.verifications.append(verification)
    if approved:
        for other in story.versions:
            if other is not version and other.status == VersionStatus.VERIFIED.value:
                other.status = VersionStatus.SUPERSEDED.value
        version.status = VersionStatus.VERIFIED.value
    else:
        version.status = VersionStatus.RETURNED.value
    db.session.flush()
    audit.record_change(
        story, verifier, "story.verified" if approved else "story.returned", version=version.number
    )
    return verification
