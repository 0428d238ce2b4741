"""A beneficiary's story: versions written by caseworkers, each verified by someone else
(the verification itself is in cases/verification.py).

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
personal values (never a title, a body or a comment) and flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import User
from ngo.cases.errors import CaseError, refuse_erased
from ngo.cases.models import (
    Beneficiary,
    Story,
    StoryVersion,
    Verification,
    VersionStatus,
)
from ngo.extensions import db
from ngo.markdown import visible_text
from ngo.timeutil import utcnow

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 50_000
# How long before expiry the case starts warning that re-verification is coming.
EXPIRY_WARNING_DAYS = 30

PENDING_STATUSES = frozenset({VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED})


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


def beneficiary_of(story: Story) -> Beneficiary:
    beneficiary = db.session.get(Beneficiary, story.beneficiary_id)
    if beneficiary is None:  # pragma: no cover - the foreign key cascades
        raise CaseError(_l("This case no longer exists."))
    return beneficiary


def start_story(beneficiary: Beneficiary, *, title: str, body: str, actor: User) -> StoryVersion:
    """Write the first version of the person's story; if there is a story already, edit it."""
    refuse_erased(beneficiary)
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
    audit.record_change(story, actor, "story.version_created", version=1)
    return version


def edit_story(story: Story, *, title: str, body: str, actor: User) -> StoryVersion:
    """Save a change. The author's own unsubmitted draft changes in place; anything else
    becomes a new draft version (see the module's rules)."""
    refuse_erased(beneficiary_of(story))
    title, body = _checked_text(title, body)
    latest = latest_version(story)
    if latest is None:
        return start_story(beneficiary_of(story), title=title, body=body, actor=actor)
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
        audit.record_change(story, actor, "story.draft_saved", version=latest.number)
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
    audit.record_change(story, actor, "story.version_created", version=version.number)
    return version


def submit_for_verification(version: StoryVersion, *, actor: User) -> None:
    story = version.story
    refuse_erased(beneficiary_of(story))
    if version is not latest_version(story):
        raise CaseError(_l("Only the latest version can be submitted."))
    if version.status not in (VersionStatus.DRAFT.value, VersionStatus.RETURNED.value):
        raise CaseError(_l("This version is not a draft; it cannot be submitted."))
    version.status = VersionStatus.SUBMITTED.value
    version.submitted_at = utcnow()
    db.session.flush()
    audit.record_change(story, actor, "story.submitted", version=version.number)


def request_reverification(story: Story, *, actor: User) -> StoryVersion:
    """Send the verified text, unchanged, for verification again (its approval has expired or
    soon will). It becomes a new version, so the old approval keeps counting until then."""
    refuse_erased(beneficiary_of(story))
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
    audit.record_change(story, actor, "story.reverification_requested", version=version.number)
    return version
