"""A beneficiary's story: versions written by caseworkers, each verified by someone else.

Rules, in one place:

* One story per beneficiary. A version has exactly one author.
* A draft is edited in place only by its own author, as long as it was never submitted. Any
  other edit (of a submitted, returned or verified version, or of someone else's draft) creates
  a new draft version; older versions still awaiting a decision are then superseded, because
  only the latest text can be verified.
* A verified version stays the story's verified text until a newer version is verified; only
  then is it marked superseded. An edit never takes a verified text away.
* Four eyes (the one rule, `accounts.policy.four_eyes_refusal`): a verifier may not verify
  text they wrote. Every version since the last approved one (that approved version
  included, or every version if none was approved yet) counts as authored text: the new text
  is built on it, so its author would otherwise be confirming their own claims.
* Approving needs all four checks passed, each backed by a live (not destroyed) evidence item
  of the same beneficiary. Returning needs comments. An approval expires after
  VERIFICATION_VALID_DAYS; the case then shows the story as due for re-verification, and a
  caseworker sends the unchanged text again (`request_reverification`: a new, submitted
  version, so the old approval keeps counting until the new decision).

Like ngo.cases.services, every function takes the acting user, writes the audit log with no
personal values (never a title, a body or a comment) and flushes; the view commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.cases.errors import CaseError
from ngo.cases.models import (
    Beneficiary,
    CheckKind,
    EvidenceItem,
    Story,
    StoryVersion,
    Verification,
    VerificationCheck,
    VersionStatus,
)
from ngo.extensions import db
from ngo.markdown import visible_text
from ngo.timeutil import utcnow

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 50_000
MAX_NOTE_LENGTH = 2_000
MAX_COMMENTS_LENGTH = 5_000
# How long before expiry the case starts warning that re-verification is coming.
EXPIRY_WARNING_DAYS = 30

PENDING_STATUSES = frozenset({VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED})


@dataclass(frozen=True)
class CheckResult:
    """One of the four checks as the verifier decided it."""

    kind: CheckKind
    passed: bool
    evidence_item_id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class StoryFlags:
    """What every case tab shows about the story; computed in one query."""

    has_story: bool = False
    latest_number: int | None = None
    latest_status: VersionStatus | None = None
    verified_until: datetime | None = None
    # A verified approval exists and has expired.
    reverification_due: bool = False
    # A verified approval is still valid but expires within EXPIRY_WARNING_DAYS.
    expires_soon: bool = False
    # The latest version is not verified (a draft, awaiting verification, or returned).
    has_unverified_version: bool = False


# Reading ----------------------------------------------------------------------------------


def story_of(beneficiary: Beneficiary) -> Story | None:
    return db.session.scalars(
        select(Story)
        .where(Story.beneficiary_id == beneficiary.id)
        .options(selectinload(Story.versions).selectinload(StoryVersion.author))
        .order_by(Story.id)
        .limit(1)
    ).first()


def latest_version(story: Story) -> StoryVersion | None:
    return story.versions[-1] if story.versions else None


def version_by_number(story: Story, number: int) -> StoryVersion | None:
    return next((v for v in story.versions if v.number == number), None)


def approval_of(version: StoryVersion) -> Verification | None:
    """The approval that made this version verified (None if it never was)."""
    approvals = [v for v in version.verifications if v.approved]
    return approvals[-1] if approvals else None


def last_decision(version: StoryVersion) -> Verification | None:
    return version.verifications[-1] if version.verifications else None


def verified_version(beneficiary: Beneficiary) -> StoryVersion | None:
    """The version whose status is verified, expired or not."""
    return db.session.scalars(
        select(StoryVersion)
        .join(Story)
        .where(
            Story.beneficiary_id == beneficiary.id,
            StoryVersion.status == VersionStatus.VERIFIED.value,
        )
        .order_by(StoryVersion.number.desc())
        .limit(1)
    ).first()


def current_verified_version(beneficiary: Beneficiary) -> StoryVersion | None:
    """The verified version whose approval has not expired; None if there is none."""
    return db.session.scalars(
        select(StoryVersion)
        .join(Story)
        .where(
            Story.beneficiary_id == beneficiary.id,
            StoryVersion.status == VersionStatus.VERIFIED.value,
            _valid_approval_exists(StoryVersion.id, utcnow()),
        )
        .order_by(StoryVersion.number.desc())
        .limit(1)
    ).first()


def _valid_approval_exists(version_id_column: Any, now: datetime) -> Exists:
    return exists(
        select(Verification.id).where(
            Verification.story_version_id == version_id_column,
            Verification.approved.is_(True),
            Verification.expires_at > now,
        )
    )


def story_flags(beneficiary: Beneficiary) -> StoryFlags:
    """Flags for the case header: one query, whatever the number of versions."""
    latest = (
        select(StoryVersion.number, StoryVersion.status)
        .join(Story)
        .where(Story.beneficiary_id == beneficiary.id)
        .order_by(StoryVersion.number.desc())
        .limit(1)
        .subquery()
    )
    expiry = (
        select(func.max(Verification.expires_at))
        .join(StoryVersion, Verification.story_version_id == StoryVersion.id)
        .join(Story)
        .where(
            Story.beneficiary_id == beneficiary.id,
            StoryVersion.status == VersionStatus.VERIFIED.value,
            Verification.approved.is_(True),
        )
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            select(latest.c.number).scalar_subquery(),
            select(latest.c.status).scalar_subquery(),
            expiry,
        )
    ).one()
    number, status, verified_until = row
    if number is None:
        return StoryFlags()
    now = utcnow()
    status = VersionStatus(status)
    expired = verified_until is not None and verified_until <= now
    return StoryFlags(
        has_story=True,
        latest_number=number,
        latest_status=status,
        verified_until=verified_until,
        reverification_due=expired,
        expires_soon=verified_until is not None
        and not expired
        and verified_until <= now + timedelta(days=EXPIRY_WARNING_DAYS),
        has_unverified_version=status is not VersionStatus.VERIFIED,
    )


def reverification_due(beneficiary: Beneficiary) -> bool:
    return story_flags(beneficiary).reverification_due


def beneficiaries_with_unverified_story(organisation_id: int) -> Select[int]:
    """Ids of the organisation's beneficiaries whose story's latest version is not verified,
    or is verified but its approval has expired. Usable in `Beneficiary.id.in_(...)`."""
    newest_number = (
        select(func.max(StoryVersion.number))
        .where(StoryVersion.story_id == Story.id)
        .correlate(Story)
        .scalar_subquery()
    )
    return (
        select(Story.beneficiary_id)
        .join(
            StoryVersion,
            and_(StoryVersion.story_id == Story.id, StoryVersion.number == newest_number),
        )
        .where(
            Story.organisation_id == organisation_id,
            or_(
                StoryVersion.status != VersionStatus.VERIFIED.value,
                ~_valid_approval_exists(StoryVersion.id, utcnow()),
            ),
        )
    )


# Writing ----------------------------------------------------------------------------------


def _refuse_erased(beneficiary: Beneficiary) -> None:
    if beneficiary.erased_at is not None:
        raise CaseError(_l("This case was erased; it cannot be changed."))


def _checked_text(title: str | None, body: str | None) -> tuple[str, str]:
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        raise CaseError(_l("Give the story a title."), field="title")
    if len(title) > MAX_TITLE_LENGTH:
        raise CaseError(
            _l("Keep the title under %(max)d characters.", max=MAX_TITLE_LENGTH), field="title"
        )
    if len(body) > MAX_BODY_LENGTH:
        raise CaseError(
            _l("The story is too long: keep it under %(max)d characters.", max=MAX_BODY_LENGTH),
            field="body",
        )
    if not visible_text(body):
        raise CaseError(_l("Write the story: it has no visible text."), field="body")
    return title, body


def _audit(story: Story, actor: User, action: str, number: int) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        organisation_id=story.organisation_id,
        object_type="case",
        object_id=story.beneficiary_id,
        details={"version": number},
    )


def _beneficiary_of(story: Story) -> Beneficiary:
    beneficiary = db.session.get(Beneficiary, story.beneficiary_id)
    if beneficiary is None:  # pragma: no cover - the foreign key cascades
        raise CaseError(_l("This case no longer exists."))
    return beneficiary


def start_story(beneficiary: Beneficiary, *, title: str, body: str, actor: User) -> StoryVersion:
    """Write the first version of the person's story; if there is a story already, edit it."""
    _refuse_erased(beneficiary)
    existing = story_of(beneficiary)
    if existing is not None and existing.versions:
        return edit_story(existing, title=title, body=body, actor=actor)
    title, body = _checked_text(title, body)
    story = existing or Story(
        beneficiary_id=beneficiary.id, organisation_id=beneficiary.organisation_id
    )
    db.session.add(story)
    version = StoryVersion(
        number=1,
        title=title,
        body_markdown=body,
        status=VersionStatus.DRAFT.value,
        author_id=actor.id,
    )
    story.versions.append(version)
    db.session.flush()
    _audit(story, actor, "story.version_created", 1)
    return version


def edit_story(story: Story, *, title: str, body: str, actor: User) -> StoryVersion:
    """Save a change. The author's own unsubmitted draft changes in place; anything else
    becomes a new draft version (see the module's rules)."""
    _refuse_erased(_beneficiary_of(story))
    title, body = _checked_text(title, body)
    latest = latest_version(story)
    if latest is None:
        return start_story(_beneficiary_of(story), title=title, body=body, actor=actor)
    unchanged = latest.title == title and latest.body_markdown == body
    if (
        latest.status == VersionStatus.DRAFT.value
        and latest.submitted_at is None
        and latest.author_id == actor.id
    ):
        if unchanged:  # saving twice is harmless
            return latest
        latest.title = title
        latest.body_markdown = body
        db.session.flush()
        _audit(story, actor, "story.draft_saved", latest.number)
        return latest
    if unchanged:
        # A copy would only need verifying again; re-verification has its own button.
        raise CaseError(_l("Nothing was changed."), field="body")
    for version in story.versions:
        if VersionStatus(version.status) in PENDING_STATUSES:
            version.status = VersionStatus.SUPERSEDED.value
    version = StoryVersion(
        number=latest.number + 1,
        title=title,
        body_markdown=body,
        status=VersionStatus.DRAFT.value,
        author_id=actor.id,
    )
    story.versions.append(version)
    db.session.flush()
    _audit(story, actor, "story.version_created", version.number)
    return version


def submit_for_verification(version: StoryVersion, *, actor: User) -> None:
    story = version.story
    _refuse_erased(_beneficiary_of(story))
    if version is not latest_version(story):
        raise CaseError(_l("Only the latest version can be submitted."))
    if version.status not in (VersionStatus.DRAFT.value, VersionStatus.RETURNED.value):
        raise CaseError(_l("This version is not a draft; it cannot be submitted."))
    version.status = VersionStatus.SUBMITTED.value
    version.submitted_at = utcnow()
    db.session.flush()
    _audit(story, actor, "story.submitted", version.number)


def request_reverification(story: Story, *, actor: User) -> StoryVersion:
    """Send the verified text, unchanged, for verification again (its approval has expired or
    soon will). It becomes a new version, so the old approval keeps counting until then."""
    _refuse_erased(_beneficiary_of(story))
    latest = latest_version(story)
    if latest is None or latest.status != VersionStatus.VERIFIED.value:
        raise CaseError(_l("Only a verified story can be sent for verification again."))
    version = StoryVersion(
        number=latest.number + 1,
        title=latest.title,
        body_markdown=latest.body_markdown,
        status=VersionStatus.SUBMITTED.value,
        author_id=actor.id,
        submitted_at=utcnow(),
    )
    story.versions.append(version)
    db.session.flush()
    _audit(story, actor, "story.reverification_requested", version.number)
    return version


def _authors_under_review(version: StoryVersion) -> set[int | None]:
    """Authors whose text the verifier would confirm: this version back to, and including,
    the last approved version (or every version if none was ever approved)."""
    authors: set[int | None] = set()
    for earlier in reversed(version.story.versions):
        if earlier.number > version.number:
            continue
        authors.add(earlier.author_id)
        if earlier.number < version.number and approval_of(earlier) is not None:
            break
    return authors


def verification_refusal(version: StoryVersion, verifier: User) -> str | None:
    """Why `verifier` may not verify this version (they wrote some of the text), or None."""
    return four_eyes_refusal(verifier.id, authors=_authors_under_review(version))


def four_eyes_conflict(version: StoryVersion, verifier: User) -> bool:
    """True if `verifier` wrote any of the text they would be verifying."""
    return verification_refusal(version, verifier) is not None


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
    beneficiary = _beneficiary_of(story)
    _refuse_erased(beneficiary)
    if version.status != VersionStatus.SUBMITTED.value or version is not latest_version(story):
        raise CaseError(_l("Only the latest version, once submitted, can be verified."))
    refusal = verification_refusal(version, verifier)
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
    cited = {c.evidence_item_id for c in by_kind.values() if c.evidence_item_id is not None}
    valid = _checked_evidence(beneficiary, cited)
    for kind, check in by_kind.items():
        if check.evidence_item_id is not None and check.evidence_item_id not in valid:
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
            if found.evidence_item_id is None:
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
        verification.checks.append(
            VerificationCheck(
                check=kind.value,
                passed=bool(given.passed),
                evidence_item_id=given.evidence_item_id,
                note=(given.note or "").strip() or None,
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
    _audit(story, verifier, "story.verified" if approved else "story.returned", version.number)
    return verification
