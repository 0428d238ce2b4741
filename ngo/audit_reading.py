"""The audit log as people read it: one sentence per event ("Demo caseworker viewed
Alexander's story, 1 Dec 2026 10:42") instead of `#6 user.logged_in user 6`.

Events store ids only (ngo/audit.py), so names are looked up when the page is shown, for the
viewer's organisation: each domain registers, in its init_app, how to name the records filed
under one object type (`register_object_type`). Names of one page are looked up with one query
per object type, never per row. This module imports no domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from flask_babel import LazyString, format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.audit_related import filed_under
from ngo.extensions import db
from ngo.money import Money, MoneyError, format_money_short

__all__ = [
    "ACTION_GROUPS",
    "ObjectType",
    "ReadableEvent",
    "action_sentence",
    "find_object",
    "numeric_ids",
    "page_of_events",
    "readable_events",
    "register_object_type",
]

# Names of the records of one type in an organisation: (ids as stored, organisation id) ->
# {id: name}. One query for all the ids of a page.
NameLookup = Callable[[set[str], int], Mapping[str, str]]
# The stored id of the record a person named (a case's reference), in the organisation.
FindLookup = Callable[[str, int], str | None]

_EXTENSION = "audit_object_types"


@dataclass(frozen=True)
class ObjectType:
    """How the records of one object type read in a sentence: `names` looks up each record's
    name ("a €50 gift to Alexander's appeal", "receipt 2026-0003"), `label` is what a record
    it does not find (erased, or named by nothing) is called ("a gift"), instead of the
    stored "donation 12". Either may be missing: a donor is only ever "a donor"."""

    kind: str
    names: NameLookup | None = None
    find: FindLookup | None = None
    label: LazyString | None = None


def register_object_type(app: Flask, object_type: ObjectType) -> None:
    app.extensions.setdefault(_EXTENSION, {})[object_type.kind] = object_type


def register_object_types(app: Flask, object_types: Iterable[ObjectType]) -> None:
    """A domain's record types at once, from its init_app."""
    for object_type in object_types:
        register_object_type(app, object_type)


def _object_types() -> dict[str, ObjectType]:
    types: dict[str, ObjectType] = current_app.extensions.get(_EXTENSION, {})
    return types


def find_object(kind: str, typed: str, organisation_id: int) -> str | None:
    """The stored id of the `kind` record a person named, or None when there is none."""
    object_type = _object_types().get(kind)
    if object_type is None or object_type.find is None:
        return None
    return object_type.find(typed.strip(), organisation_id)


# %(actor)s is who did it, %(object)s the record the event is filed under (a story's and a
# document's events are their case's).
_SENTENCES: dict[str, LazyString] = {
    "user.logged_in": _l("%(actor)s signed in"),
    "user.logged_out": _l("%(actor)s signed out"),
    "user.created": _l("%(actor)s created the account of %(object)s"),
    "user.locked": _l("%(actor)s locked the account of %(object)s"),
    "user.locked_out": _l("The account of %(object)s was locked after failed sign-ins"),
    "user.unlocked": _l("%(actor)s unlocked the account of %(object)s"),
    "user.second_factor_reset": _l("%(actor)s reset the second factor of %(object)s"),
    "user.password_changed": _l("%(actor)s changed their password"),
    "user.password_reset": _l("The password of %(object)s was reset"),
    "password_reset.requested": _l("A password reset was requested for %(object)s"),
    "invitation.sent": _l("%(actor)s sent %(object)s"),
    "invitation.accepted": _l("%(actor)s accepted %(object)s"),
    "invitation.revoked": _l("%(actor)s revoked %(object)s"),
    "membership.role_changed": _l("%(actor)s changed the role of %(object)s"),
    "membership.suspended": _l("%(actor)s suspended %(object)s"),
    "membership.reinstated": _l("%(actor)s reinstated %(object)s"),
    "membership.removed": _l("%(actor)s removed %(object)s from the organisation"),
    "organisation.created": _l("%(actor)s created the organisation"),
    "organisation.renamed": _l("%(actor)s renamed the organisation"),
    "organisation.details_changed": _l("%(actor)s changed the organisation's details"),
    "data_keys.rotated": _l("%(actor)s rotated the data keys"),
    "outbox.retried": _l("%(actor)s retried failed work"),
    "case.created": _l("%(actor)s registered the case %(object)s"),
    "case.updated": _l("%(actor)s changed the profile of %(object)s"),
    "case.status_changed": _l("%(actor)s changed the status of %(object)s"),
    "case.household_added": _l("%(actor)s added a household member to %(object)s"),
    "case.household_removed": _l("%(actor)s removed a household member from %(object)s"),
    "case.note_added": _l("%(actor)s added a note to %(object)s"),
    "case.task_added": _l("%(actor)s added a task to %(object)s"),
    "case.task_done": _l("%(actor)s completed a task of %(object)s"),
    "case.erased": _l("%(actor)s erased the case %(object)s"),
    "case.exported": _l("%(actor)s exported the data of %(object)s"),
    "consent.recorded": _l("%(actor)s recorded a consent of %(object)s"),
    "consent.withdrawn": _l("%(actor)s recorded a consent of %(object)s as withdrawn"),
    "evidence.uploaded": _l("%(actor)s uploaded a document to %(object)s"),
    "evidence.checked": _l("%(actor)s checked a document of %(object)s"),
    "evidence.downloaded": _l("%(actor)s downloaded a document of %(object)s"),
    "evidence.destroyed": _l("%(actor)s destroyed a document of %(object)s"),
    "evidence.listing_added": _l("%(actor)s listed a document of %(object)s"),
    "story.draft_saved": _l("%(actor)s saved a draft of %(object)s's story"),
    "story.version_created": _l("%(actor)s wrote a new version of %(object)s's story"),
    "story.submitted": _l("%(actor)s sent %(object)s's story for verification"),
    "story.verified": _l("%(actor)s verified %(object)s's story"),
    "story.returned": _l("%(actor)s returned %(object)s's story to its writer"),
    "story.reverification_requested": _l(
        "%(actor)s asked for %(object)s's story to be verified again"
    ),
    "appeal.created": _l("%(actor)s created the appeal %(object)s"),
    "appeal.text_changed": _l("%(actor)s changed the text of the appeal %(object)s"),
    "appeal.details_changed": _l("%(actor)s changed the details of the appeal %(object)s"),
    "appeal.budget_line_added": _l("%(actor)s added a budget line to the appeal %(object)s"),
    "appeal.budget_line_removed": _l("%(actor)s removed a budget line of the appeal %(object)s"),
    "appeal.budget_line_text_changed": _l(
        "%(actor)s changed a budget line of the appeal %(object)s"
    ),
    "appeal.cover_photo_set": _l("%(actor)s set the cover photo of the appeal %(object)s"),
    "appeal.cover_photo_removed": _l("%(actor)s removed the cover photo of the appeal %(object)s"),
    "appeal.submitted": _l("%(actor)s sent the appeal %(object)s for approval"),
    "appeal.published": _l("%(actor)s published the appeal %(object)s"),
    "appeal.returned_to_draft": _l("%(actor)s returned the appeal %(object)s to draft"),
    "appeal.unlisted_by_rescan": _l("The appeal %(object)s was unlisted by the safety check"),
    "appeal.concerns_viewed": _l("%(actor)s read the concerns about the appeal %(object)s"),
    "appeal.concern_reported": _l("A reader reported a concern about the appeal %(object)s"),
    "appeal.allocation_changed": _l("%(actor)s changed the giving rules of the appeal %(object)s"),
    "appeal.funds_reallocated": _l("%(actor)s moved money between lines of the appeal %(object)s"),
    "appeal.reserve_to_general_fund": _l(
        "%(actor)s moved the reserve of the appeal %(object)s to the general fund"
    ),
    "appeal.update_drafted": _l("%(actor)s drafted an update of the appeal %(object)s"),
    "appeal.update_changed": _l("%(actor)s changed an update of the appeal %(object)s"),
    "appeal.update_published": _l("%(actor)s published an update of the appeal %(object)s"),
    "appeal.update_submitted": _l("%(actor)s sent an update of the appeal %(object)s for review"),
    "appeal.update_urgency_set": _l("%(actor)s marked an update of the appeal %(object)s urgent"),
    "appeal.update_returned": _l("%(actor)s returned an update of the appeal %(object)s"),
    "appeal.update_withdrawn": _l("%(actor)s withdrew an update of the appeal %(object)s"),
    "appeal.update_discarded": _l("%(actor)s discarded an update of the appeal %(object)s"),
    "donation.approved": _l("%(actor)s approved %(object)s"),
    "donation.confirmed": _l("%(actor)s confirmed %(object)s"),
    "donation.matched": _l("%(actor)s confirmed %(object)s from a bank statement"),
    "donation.refunded": _l("%(actor)s refunded %(amount)s of %(object)s"),
    "donation.disputed": _l("%(actor)s recorded a dispute over %(amount)s of %(object)s"),
    "donation.failed": _l("The payment of %(object)s failed"),
    "donation.monthly_cancelled": _l("%(actor)s ended the monthly gift of %(object)s"),
    "donation.recorded": _l("%(actor)s recorded %(object)s"),
    "donation.rejected": _l("%(actor)s rejected %(object)s"),
    "donation.message_viewed": _l("%(actor)s read the donor's message with %(object)s"),
    "receipt.downloaded": _l("%(actor)s downloaded %(object)s"),
    "donation.note_viewed": _l("%(actor)s read the note on %(object)s"),
    "donations.exported": _l("%(actor)s exported the donations"),
    "donor.looked_up": _l("%(actor)s looked up a donor"),
    "donor.exported": _l("%(actor)s exported a donor's data"),
    "donor.erased": _l("%(actor)s erased a donor"),
    "disbursement.approved": _l("%(actor)s approved %(object)s"),
    "disbursement.recorded": _l("%(actor)s recorded %(object)s"),
    "disbursement.withdrawn": _l("%(actor)s withdrew %(object)s"),
    "disbursement.rejected": _l("%(actor)s rejected %(object)s"),
    "disbursement.overspend_override": _l("%(actor)s allowed %(object)s over its budget line"),
    "bank_account.added": _l("%(actor)s added %(object)s"),
    "bank_account.changed": _l("%(actor)s changed %(object)s"),
    "bank_account.retired": _l("%(actor)s retired %(object)s"),
    "statement_line.unrelated": _l("%(actor)s marked %(object)s as not a gift"),
    "statement_line.assigned": _l("%(actor)s assigned %(object)s to an appeal"),
    "statement.imported": _l("%(actor)s imported %(object)s"),
    "exchange_rate.entered": _l("%(actor)s entered %(object)s"),
    "exchange_rate.corrected": _l("%(actor)s corrected %(object)s"),
    "statement_queue.viewed": _l("%(actor)s read the unmatched statement lines"),
    "funder.created": _l("%(actor)s added the funder %(object)s"),
    "funder.changed": _l("%(actor)s changed the funder %(object)s"),
    "funder.contact_invited": _l("%(actor)s invited a contact of the funder %(object)s"),
    "funder.contact_linked": _l("%(actor)s linked a contact of the funder %(object)s"),
    "funder.contact_removed": _l("%(actor)s removed a contact of the funder %(object)s"),
    "grant.created": _l("%(actor)s added %(object)s"),
    "grant.changed": _l("%(actor)s changed %(object)s"),
    "report.requested": _l("%(actor)s asked for %(object)s"),
    "report.retried": _l("%(actor)s retried %(object)s"),
    "report.signing_key_uploaded": _l("%(actor)s uploaded a report signing key"),
    "report_subscription.created": _l("%(actor)s set up %(object)s"),
    "report_subscription.changed": _l("%(actor)s changed %(object)s"),
    "receipts.tax_notes_changed": _l("%(actor)s changed the tax notes printed on receipts"),
    "report_subscription.sent_now": _l("%(actor)s sent the report of %(object)s now"),
}  # fmt: skip

# case.personal_data_viewed, by the part of the case that was shown.
_VIEWED: dict[str, LazyString] = {
    "profile": _l("%(actor)s viewed the profile of %(object)s"),
    "household": _l("%(actor)s viewed the household of %(object)s"),
    "consent": _l("%(actor)s viewed the consents of %(object)s"),
    "evidence": _l("%(actor)s viewed the documents of %(object)s"),
    "story": _l("%(actor)s viewed %(object)s's story"),
    "notes": _l("%(actor)s viewed the notes of %(object)s"),
    "tasks": _l("%(actor)s viewed the tasks of %(object)s"),
    "history": _l("%(actor)s viewed the history of %(object)s"),
    "list": _l("%(actor)s viewed a page of the case list"),
    "dashboard": _l("%(actor)s viewed cases on their dashboard"),
    "cover_photo": _l("%(actor)s viewed a cover photo of %(object)s"),
    "update_photo": _l("%(actor)s viewed an update's photo of %(object)s"),
    "appeal_publication_check": _l("%(actor)s checked the appeal of %(object)s against the case"),
    "appeal_update_check": _l("%(actor)s checked an update about %(object)s against the case"),
    "disbursement_check": _l("%(actor)s checked a payment for %(object)s against the case"),
}  # fmt: skip
_VIEWED_ANYTHING = _l("%(actor)s viewed the data of %(object)s")
_VIEWED_SOME = _l("%(actor)s viewed people's data")  # an event of no one case
# A gift's money as its payment provider reported it (details "via"): the webhook is the
# actor, and says who told us.
_BY_PROVIDER: dict[tuple[str, str], LazyString] = {
    ("donation.confirmed", "stripe"): _l("Stripe confirmed the payment of %(object)s"),
    ("donation.refunded", "stripe"): _l("Stripe refunded %(amount)s of %(object)s"),
    ("donation.disputed", "stripe"): _l("Stripe reported a dispute over %(amount)s of %(object)s"),
    ("donation.failed", "stripe"): _l("Stripe reported that the payment of %(object)s failed"),
    ("donation.monthly_cancelled", "stripe"): _l(
        "Stripe reported that the monthly gift of %(object)s ended"
    ),
    ("donation.monthly_cancelled", "donor"): _l(
        "The donor ended the monthly gift of %(object)s with the link in a receipt"
    ),
}  # fmt: skip
_UNKNOWN = _l("%(actor)s: %(action)s (%(object)s)")

# The action filter: the first part of an action's name, and what it is about.
ACTION_GROUPS: dict[str, LazyString] = {
    "user": _l("Sign-in and accounts"),
    "membership": _l("Members and roles"),
    "invitation": _l("Invitations"),
    "organisation": _l("The organisation"),
    "case": _l("Cases"),
    "consent": _l("Consents"),
    "evidence": _l("Documents"),
    "story": _l("Stories"),
    "appeal": _l("Appeals"),
    "donation": _l("Gifts"),
    "donor": _l("Donors"),
    "disbursement": _l("Payments"),
    "statement_line": _l("Bank statements"),
    "statement": _l("Bank statement imports"),
    "exchange_rate": _l("Exchange rates"),
    "receipt": _l("Receipts"),
    "receipts": _l("Receipt settings"),
    "funder": _l("Funders"),
    "grant": _l("Grants"),
    "report": _l("Reports"),
}


def action_sentence(event: AuditEvent) -> LazyString:
    if event.action == "case.personal_data_viewed":
        part = (event.details or {}).get("part")
        anything = _VIEWED_ANYTHING if event.object_id else _VIEWED_SOME
        return _VIEWED.get(part, anything) if isinstance(part, str) else anything
    via = (event.details or {}).get("via")
    if isinstance(via, str) and (event.action, via) in _BY_PROVIDER:
        return _BY_PROVIDER[(event.action, via)]
    return _SENTENCES.get(event.action, _UNKNOWN)


def _humanised(name: str) -> str:
    return name.replace("_", " ").replace(".", " ")


@dataclass(frozen=True)
class ReadableEvent:
    event: AuditEvent
    sentence: str
    when: str


def _names(wanted: dict[str, set[str]], organisation_id: int) -> dict[tuple[str, str], str]:
    types = _object_types()
    found: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        lookup = types[kind].names if kind in types else None
        if lookup is not None and ids:
            for object_id, name in lookup(ids, organisation_id).items():
                found[(kind, object_id)] = name
    return found


def when_text(moment: datetime) -> str:
    """A moment in the viewer's locale and time zone: "1 Dec 2026 10:42"."""
    return f"{format_date(moment, 'medium')} {format_time(moment, 'short')}"


def readable_events(events: Sequence[AuditEvent], organisation_id: int) -> list[ReadableEvent]:
    """The events as sentences, names looked up for the organisation: one query per object
    type (the actors are users) for the whole page."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.actor_id is not None:
            wanted["user"].add(str(event.actor_id))
        if event.object_type and event.object_id:
            wanted[event.object_type].add(event.object_id)
    names = _names(wanted, organisation_id)
    return [_readable(event, names) for event in events]


def _object_text(kind: str, object_id: str, names: Mapping[tuple[str, str], str]) -> str:
    """The record's name, else its type's label, else (a type no domain describes) its
    stored type and id."""
    name = names.get((kind, object_id))
    if name:
        return name
    object_type = _object_types().get(kind)
    if object_type is not None and object_type.label is not None:
        return str(object_type.label)
    return f"{_humanised(kind)} {object_id}"


def _amount_text(details: Mapping[str, object]) -> str:
    """The sum an event moved (a refund's), from its details, in the viewer's locale."""
    try:
        money = Money(details.get("amount_minor"), details.get("currency"))  # type: ignore[arg-type]
    except (MoneyError, TypeError, ValueError):
        return _("an amount")
    return format_money_short(money)


def _readable(event: AuditEvent, names: Mapping[tuple[str, str], str]) -> ReadableEvent:
    if event.actor_id is None:
        actor = _("The system")
    else:
        actor = names.get(("user", str(event.actor_id))) or _("User %(id)s", id=event.actor_id)
    if event.object_type and event.object_id:
        thing = _object_text(event.object_type, event.object_id, names)
    else:
        thing = ""
    details = event.details or {}
    sentence = str(action_sentence(event)) % {
        "actor": actor,
        "object": thing,
        "action": _humanised(event.action),
        "amount": _amount_text(details) if "amount_minor" in details else "",
    }
    return ReadableEvent(event=event, sentence=sentence, when=when_text(event.occurred_at))


def numeric_ids(ids: Iterable[str]) -> set[int]:
    """The stored ids (strings) that are numbers, as numbers: what a lookup queries by."""
    return {int(object_id) for object_id in ids if object_id.isdigit()}


PAGE_SIZE = 50


def page_of_events(
    organisation_id: int,
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    with_related: bool = False,
    group: str | None = None,
    page: int = 1,
) -> tuple[list[AuditEvent], int]:
    """One page of the organisation's events, newest first, and how many match in all.
    `with_related`: also the events of the records that belong to the object (a case's
    appeals, gifts, payments; ngo/audit_related.py)."""
    conditions = [AuditEvent.organisation_id == organisation_id]
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if with_related and object_type is not None and object_id is not None:
        conditions.append(filed_under(object_type, object_id, organisation_id))
    else:
        if object_type is not None:
            conditions.append(AuditEvent.object_type == object_type)
        if object_id is not None:
            conditions.append(AuditEvent.object_id == object_id)
    if group is not None:
        conditions.append(AuditEvent.action.startswith(f"{group}.", autoescape=True))
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
    events = db.session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.seq.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(events), total
