"""What the cases domain tells the domains above it when its rows change.

A public appeal relies on a case's record, household, consents, story versions and their
verifications. Whatever changes one of them (a service, a key rotation, a command, a test),
the domains that rely on it must hear of it in the same transaction: so the announcement
watches the session's flushes rather than trusting every write path to remember a call. After
each flush the changed rows are sorted into the named signals of `ngo.signals`, with ids only;
receivers note what to recompute and do it before the commit (campaigns.visibility).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ngo import signals
from ngo.cases.models import (
    Beneficiary,
    Consent,
    HouseholdMember,
    Story,
    StoryVersion,
    Verification,
)


def _ids(values: set[int | None]) -> frozenset[int]:
    return frozenset(v for v in values if v is not None)


def announce_changes(session: Session, _context: object) -> None:
    """The session's after_flush hook (registered by cases.init_app)."""
    private: set[int | None] = set()
    given: set[int | None] = set()
    withdrawn: set[int | None] = set()
    story_cases: set[int | None] = set()
    stories: set[int | None] = set()
    versions: set[int | None] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Beneficiary):
            private.add(obj.id)
        elif isinstance(obj, HouseholdMember):
            private.add(obj.beneficiary_id)
        elif isinstance(obj, Consent):
            (given if obj in session.new else withdrawn).add(obj.beneficiary_id)
        elif isinstance(obj, Story):
            story_cases.add(obj.beneficiary_id)
        elif isinstance(obj, StoryVersion):
            stories.add(obj.story_id)
        elif isinstance(obj, Verification):
            versions.add(obj.story_version_id)
    if private:
        signals.private_values_changed.send(session, beneficiary_ids=_ids(private))
    if given:
        signals.consent_given.send(session, beneficiary_ids=_ids(given))
    if withdrawn:
        signals.consent_withdrawn.send(session, beneficiary_ids=_ids(withdrawn))
    if story_cases or stories or versions:
        signals.story_verification_changed.send(
            session,
            beneficiary_ids=_ids(story_cases),
            story_ids=_ids(stories),
            story_version_ids=_ids(versions),
        )
