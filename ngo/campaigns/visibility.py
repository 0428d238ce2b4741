"""Whether the public site shows an appeal, kept current in the transaction that changes it.

Asking the whole publication gate for every appeal of a list would decrypt every case on every
page view. Instead the answer is stored on the appeal (`listed`, `listed_until`) and recomputed
before each commit that touched something the gate depends on: the appeal and its public text,
the person's record, household, consents, story versions and verifications. `listed_until` is
the earliest expiry of the verification and the consents the appeal relies on, so expiry takes
it down at that moment with no job having to run; the beat task `reconcile_listings_task` only
tidies the stored flag afterwards.

Changes to the appeal's own rows are seen in the session's flushes; changes to the case's rows
arrive as the cases domain's signals (`ngo.signals`, sent after each flush). Both only note
what is pending; the recomputation runs once, before the commit. `init_app` (called by
campaigns.init_app) registers the session hooks and connects the receivers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast

from celery import shared_task
from sqlalchemy import ColumnElement, CursorResult, Table, and_, func, inspect, or_, select
from sqlalchemy.orm import Session

from ngo import signals
from ngo.accounts.models import Organisation
from ngo.campaigns import search
from ngo.campaigns.appeals import VISIBLE
from ngo.campaigns.models import (
    Appeal,
    AppealSearchDocument,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    PublicImage,
    PublicSiteVersion,
)
from ngo.campaigns.publication import is_publicly_visible
from ngo.cases.models import (
    Consent,
    ConsentAudience,
    Story,
    StoryVersion,
    Verification,
)
from ngo.extensions import db, listen
from ngo.timeutil import utcnow
from ngo.unit_of_work import transactional

_PENDING = "ngo_appeal_visibility_pending"
_REFRESHING = "ngo_appeal_visibility_refreshing"
_PUBLIC_CHANGED = "ngo_public_site_changed"


def publicly_listed(now: datetime | ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
    """The WHERE clause of every public list, feed, sitemap and API query. `now` may be a bound
    parameter, for a statement built once and run with each request's time."""
    if now is None:
        now = utcnow()
    return (Appeal.listed.is_(True)) & or_(Appeal.listed_until.is_(None), Appeal.listed_until > now)


class ListingState(Protocol):
    """What `is_listed` reads: an Appeal, or a row of a list's columns."""

    @property
    def listed(self) -> bool: ...
    @property
    def listed_until(self) -> datetime | None: ...


def is_listed(appeal: ListingState, now: datetime | None = None) -> bool:
    """The Python side of `publicly_listed`."""
    now = now or utcnow()
    return appeal.listed and (appeal.listed_until is None or appeal.listed_until > now)


def _listed_until(appeal: Appeal) -> datetime | None:
    """The earliest moment a verification or consent the appeal relies on runs out."""
    approvals = db.session.scalar(
        select(func.max(Verification.expires_at)).where(
            Verification.story_version_id == appeal.story_version_id,
            Verification.approved.is_(True),
        )
    )
    today = date.today()
    consent_end: date | None = db.session.scalar(
        select(func.min(Consent.expires_on)).where(
            Consent.beneficiary_id == appeal.beneficiary_id,
            Consent.audience == ConsentAudience.PUBLIC_PAGE.value,
            Consent.withdrawn_at.is_(None),
            Consent.expires_on.is_not(None),
            Consent.expires_on >= today,
        )
    )
    ends = [approvals] if approvals is not None else []
    if consent_end is not None:
        # A consent is in force through its last day.
        ends.append(datetime.combine(consent_end + timedelta(days=1), time.min, tzinfo=UTC))
    ends = [e if e.tzinfo else e.replace(tzinfo=UTC) for e in ends]
    return min(ends).replace(tzinfo=None) if ends else None


def refresh_public_state(appeal: Appeal) -> None:
    """Recompute the appeal's listing from the publication gate, and its search document."""
    listed = is_publicly_visible(appeal)
    until = _listed_until(appeal) if listed else None
    if appeal.listed != listed:
        appeal.listed = listed
    if appeal.listed_until != until:
        appeal.listed_until = until
    search.set_document(appeal.id, search.searchable_texts(appeal) if listed else None)


def refresh_appeals_of(beneficiary_ids: set[int], appeal_ids: set[int]) -> None:
    if not beneficiary_ids and not appeal_ids:
        return
    clauses = []
    if beneficiary_ids:
        clauses.append(Appeal.beneficiary_id.in_(beneficiary_ids))
    if appeal_ids:
        clauses.append(Appeal.id.in_(appeal_ids))
    for appeal in db.session.scalars(select(Appeal).where(or_(*clauses))):
        refresh_public_state(appeal)


# Which rows, when they change, may change an appeal's listing -------------------------------


# Changes of these alone never change what the gate decides (money counters move with every
# donation; the listing fields are what this module writes).
_APPEAL_FIELDS_OUTSIDE_THE_GATE = frozenset(
    {
        "raised_minor",
        "donations_count",
        "goal_minor",
        "essential_minor",
        "listed",
        "listed_until",
        "last_update_at",
    }
)


def _gate_fields_changed(appeal: Appeal) -> bool:
    state = inspect(appeal)
    return any(
        attr.history.has_changes()
        for attr in state.attrs
        if attr.key not in _APPEAL_FIELDS_OUTSIDE_THE_GATE
    )


def _touched(obj: object, session: Session) -> tuple[str, int | None] | None:
    if isinstance(obj, Appeal):
        if obj in session.dirty and not _gate_fields_changed(obj):
            return None
        return ("appeal", obj.id)
    if isinstance(obj, AppealTranslation | BudgetLine | AppealUpdate | PublicImage):
        return ("appeal", obj.appeal_id)
    if isinstance(obj, BudgetLineLabel):
        return ("line", obj.budget_line_id)
    return None


# What public pages show: a change to any of these makes cached public pages stale (and so
# does a verification, whose date the page shows: see _story_changed).
_SHOWN_IN_PUBLIC = (
    Appeal,
    AppealTranslation,
    BudgetLine,
    BudgetLineLabel,
    AppealUpdate,
    PublicImage,
    Organisation,
)


def init_app() -> None:
    """Keep listings current: the session hooks, and the receivers of what cases announces."""
    listen(Session, "after_flush", _remember_touched)
    listen(Session, "before_commit", _refresh_before_commit)
    listen(Session, "after_rollback", _forget_after_rollback)
    signals.private_values_changed.connect(_case_changed)
    signals.consent_given.connect(_case_changed)
    signals.consent_withdrawn.connect(_case_changed)
    signals.story_verification_changed.connect(_story_changed)


def _note_pending(session: Session, kind: str, ids: frozenset[int]) -> None:
    if ids and not session.info.get(_REFRESHING):
        session.info.setdefault(_PENDING, set()).update((kind, id_) for id_ in ids)


def _case_changed(session: Session, *, beneficiary_ids: frozenset[int], **_: Any) -> None:
    _note_pending(session, "beneficiary", beneficiary_ids)


def _story_changed(
    session: Session,
    *,
    beneficiary_ids: frozenset[int],
    story_ids: frozenset[int],
    story_version_ids: frozenset[int],
    **_: Any,
) -> None:
    if story_version_ids:
        session.info[_PUBLIC_CHANGED] = True
    _note_pending(session, "beneficiary", beneficiary_ids)
    _note_pending(session, "story", story_ids)
    _note_pending(session, "version", story_version_ids)


def _remember_touched(session: Session, _context: object) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _SHOWN_IN_PUBLIC) for obj in changed):
        session.info[_PUBLIC_CHANGED] = True
    if session.info.get(_REFRESHING):
        return
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    for obj in changed:
        touched = _touched(obj, session)
        if touched is not None and touched[1] is not None:
            pending.add(touched)  # type: ignore[arg-type]


def _refresh_before_commit(session: Session) -> None:
    if session.info.get(_REFRESHING):
        return
    session.flush()
    pending: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    if pending:
        session.info[_REFRESHING] = True
        try:
            with session.no_autoflush:
                beneficiaries, appeals = _resolve(session, pending)
            _refresh_in(session, beneficiaries, appeals)
            session.flush()
        finally:
            session.info.pop(_REFRESHING, None)
    if session.info.pop(_PUBLIC_CHANGED, False):
        bump_public_version(session)


def bump_public_version(session: Session) -> None:
    """Mark every cached public page stale, in the transaction that changed the data."""
    next_expiry = (
        select(func.min(Appeal.listed_until))
        .where(Appeal.listed.is_(True), Appeal.listed_until.is_not(None))
        .scalar_subquery()
    )
    table = PublicSiteVersion.__table__
    assert isinstance(table, Table)  # typed as any FromClause; a mapped class has a Table
    updated = session.execute(
        table.update()
        .where(table.c.id == 1)
        .values(version=table.c.version + 1, next_expiry=next_expiry)
    )
    # Session.execute is typed as returning a Result; for an UPDATE it is a CursorResult.
    if cast(CursorResult[Any], updated).rowcount == 0:
        session.execute(table.insert().values(id=1, version=1, next_expiry=next_expiry))


def public_version() -> tuple[int, datetime | None]:
    """The current version of the public site and when its earliest listing runs out."""
    row = db.session.execute(
        select(PublicSiteVersion.version, PublicSiteVersion.next_expiry).where(
            PublicSiteVersion.id == 1
        )
    ).first()
    return (row[0], row[1]) if row else (0, None)


def _resolve(session: Session, pending: set[tuple[str, int]]) -> tuple[set[int], set[int]]:
    ids: dict[str, set[int]] = {}
    for kind, id_ in pending:
        ids.setdefault(kind, set()).add(id_)
    beneficiaries = set(ids.get("beneficiary", set()))
    appeals = set(ids.get("appeal", set()))
    if ids.get("line"):
        appeals |= set(
            session.scalars(select(BudgetLine.appeal_id).where(BudgetLine.id.in_(ids["line"])))
        )
    stories = set(ids.get("story", set()))
    if ids.get("version"):
        stories |= set(
            session.scalars(
                select(StoryVersion.story_id).where(StoryVersion.id.in_(ids["version"]))
            )
        )
    if stories:
        beneficiaries |= set(
            session.scalars(select(Story.beneficiary_id).where(Story.id.in_(stories)))
        )
    return beneficiaries, appeals


def _refresh_in(session: Session, beneficiaries: set[int], appeals: set[int]) -> None:
    if session is not db.session():
        # Only the application's session is watched; other sessions (bench tools) refresh
        # explicitly.
        return
    refresh_appeals_of(beneficiaries, appeals)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PUBLIC_CHANGED, None)


@shared_task(name="campaigns.reconcile_listings")
@transactional
def reconcile_listings_task() -> int:
    """Tidy the stored listing: appeals whose listing ran out (already hidden by
    `listed_until`), and visible-status appeals not listed (after an upgrade, or to retry the
    gate). Returns how many appeals were looked at."""
    now = utcnow()
    stale = db.session.scalars(
        select(Appeal).where(
            or_(
                and_(Appeal.listed.is_(True), Appeal.listed_until <= now),
                and_(
                    Appeal.status.in_([status.value for status in VISIBLE]),
                    Appeal.listed.is_(False),
                ),
            )
        )
    ).all()
    for appeal in stale:
        refresh_public_state(appeal)
    return len(stale)


REINDEX_BATCH = 500


@transactional
def reindex_search_documents() -> int:
    """Rewrite the search document of each listed appeal whose stored one was not folded from
    its current texts by the current folding (`search.source_digest`): after an upgrade that
    changed the folding (`search.FOLDING_VERSION`), or texts changed outside the ORM, without
    a migration that would have to freeze today's folding. Texts are read without ORM objects
    and only the changed ones are folded, so a run that finds nothing costs a few queries per
    batch and a hash per appeal. Run by `flask reconcile-listings`; rewrites nothing the
    second time. Returns how many documents were rewritten."""
    session = db.session()
    rewritten, after = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(Appeal.id)
                .where(Appeal.listed.is_(True), Appeal.id > after)
                .order_by(Appeal.id)
                .limit(REINDEX_BATCH)
            )
        )
        if not ids:
            break
        stored = search.stored_digests(ids)
        changed = {
            appeal_id: texts
            for appeal_id, texts in search.texts_of(ids).items()
            if stored.get(appeal_id) != search.source_digest(texts)
        }
        # Loaded in one query, held for set_document to find in the identity map.
        documents = session.scalars(
            select(AppealSearchDocument).where(AppealSearchDocument.appeal_id.in_(changed))
        ).all()
        for appeal_id, texts in changed.items():
            rewritten += search.set_document(appeal_id, texts)
        after = ids[-1]
        session.flush()
        del documents
    if rewritten:
        # Cached search results were made from the old documents.
        session.info[_PUBLIC_CHANGED] = True
    return rewritten
