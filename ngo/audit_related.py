"""Which records' events belong to a record's history: a case's History tab also shows the
events of its appeals, their gifts, payments out, receipts and reports, though those are
filed under their own object types (ngo/audit.py stores one object per event). The audit
log's case filter asks the same providers, so the two always show the same events.

The domain that owns the related records says how to find them, in its init_app
(`register_related_objects`): cases sits below campaigns and donations and imports neither,
so the lower record never names the higher ones. Each provider answers with SELECTs of ids,
not ids, so a page of history stays one query for its events (and one for their count)
however many related records there are. This module imports no domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Select, String, and_, cast, or_, select

from ngo.audit import AuditEvent

__all__ = ["RelatedLookup", "filed_under", "register_related_objects"]

# (the record's id, organisation id) -> {object type: a SELECT of one column, the ids of the
# organisation's records of that type that belong to the record}.
RelatedLookup = Callable[[int, int], Mapping[str, Select[Any]]]

_EXTENSION = "audit_related_objects"


def register_related_objects(app: Flask, kind: str, related: RelatedLookup) -> None:
    """Events of the records `related` finds show in the history of a record of `kind`."""
    app.extensions.setdefault(_EXTENSION, defaultdict(list))[kind].append(related)


def _related(kind: str, object_id: int, organisation_id: int) -> dict[str, list[Select[Any]]]:
    providers: Mapping[str, list[RelatedLookup]] = current_app.extensions.get(_EXTENSION, {})
    found: dict[str, list[Select[Any]]] = defaultdict(list)
    for provider in providers.get(kind, ()):
        for related_kind, ids in provider(object_id, organisation_id).items():
            found[related_kind].append(ids)
    return found


def _stored_ids(ids: Select[Any]) -> Select[tuple[str]]:
    """The ids as the log stores them (text): the cast is on the related side, so that the
    log's column is compared as it is."""
    subquery = ids.subquery()
    return select(cast(subquery.c[0], String))


def filed_under(kind: str, object_id: str, organisation_id: int) -> ColumnElement[bool]:
    """Events filed under the record, or under a record that belongs to it."""
    conditions = [and_(AuditEvent.object_type == kind, AuditEvent.object_id == object_id)]
    if object_id.isdigit():
        for related_kind, selects in _related(kind, int(object_id), organisation_id).items():
            conditions.append(
                and_(
                    AuditEvent.object_type == related_kind,
                    or_(*(AuditEvent.object_id.in_(_stored_ids(ids)) for ids in selects)),
                )
            )
    return or_(*conditions)
