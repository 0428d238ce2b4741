"""How the audit log names an appeal (ngo/audit_reading.py): its title in the reader's
language, else in English, else in the appeal's own language. Records filed under something
of an appeal (a gift, a payment, a report) are named after it through `appeal_phrase`
("Alexander's appeal"), from the same texts: the public display name the person consented
to, else the title; never a name from the case."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select

from ngo.audit_reading import numeric_ids
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.extensions import db

K = TypeVar("K", bound=Hashable)

# What a lookup selects of an appeal's texts (joined from the record it names), in this
# order after the record's key: `best_texts` reads rows of (key, *TEXT_COLUMNS).
TEXT_COLUMNS = (
    Appeal.fallback_language,
    AppealTranslation.language,
    AppealTranslation.title,
    AppealTranslation.display_name,
)


@dataclass(frozen=True)
class AppealText:
    title: str
    display_name: str


def best_texts(
    rows: Iterable[tuple[K, str | None, str | None, str | None, str | None]],
) -> dict[K, AppealText]:
    """Of rows (key, appeal's language, text's language, title, display name), in the order
    the texts were written, each key's text in the reader's language, else English, else the
    appeal's own; keys whose appeal has no text are left out."""
    reader = str(get_locale() or "en")
    best: dict[K, tuple[int, AppealText]] = {}
    for key, own_language, language, title, display_name in rows:
        if language is None:
            continue
        rank = 0 if language == reader else 1 if language == "en" else 2
        rank = rank if rank < 2 or language == own_language else 3
        if key not in best or rank < best[key][0]:
            best[key] = (rank, AppealText(title or "", display_name or ""))
    return {key: text for key, (_rank, text) in best.items()}


def appeal_phrase(text: AppealText | None) -> str:
    """The appeal as a sentence names it: "Alexander's appeal", else "the appeal “title”"."""
    if text is None:
        return _("an appeal")
    if text.display_name:
        return _("%(name)s's appeal", name=text.display_name)
    return _("the appeal “%(title)s”", title=text.title)


def appeal_titles(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(Appeal.id, *TEXT_COLUMNS)
        .join(AppealTranslation, AppealTranslation.appeal_id == Appeal.id)
        .where(Appeal.organisation_id == organisation_id, Appeal.id.in_(numeric_ids(ids)))
        .order_by(Appeal.id, AppealTranslation.id)
    ).all()
    texts = best_texts((str(row[0]), *row[1:]) for row in rows)
    return {appeal_id: text.title for appeal_id, text in texts.items()}


def case_appeals(case_id: int, organisation_id: int) -> Mapping[str, Select[Any]]:
    """The case's appeals, for its History tab (ngo/audit_related.py): events about their
    budget lines, updates, covers and concerns are filed under the appeal."""
    return {
        "appeal": select(Appeal.id).where(
            Appeal.beneficiary_id == case_id, Appeal.organisation_id == organisation_id
        )
    }
