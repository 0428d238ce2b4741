"""How the audit log names an appeal (ngo/audit_reading.py): its title in the reader's
language, else in English, else in the appeal's own language."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale
from sqlalchemy import select

from ngo.audit_reading import numeric_ids
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.extensions import db


def appeal_titles(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(
            Appeal.id, Appeal.fallback_language, AppealTranslation.language, AppealTranslation.title
        )
        .join(AppealTranslation, AppealTranslation.appeal_id == Appeal.id)
        .where(Appeal.organisation_id == organisation_id, Appeal.id.in_(numeric_ids(ids)))
        .order_by(Appeal.id, AppealTranslation.id)
    ).all()
    reader = str(get_locale() or "en")
    titles: dict[str, tuple[int, str]] = {}
    for appeal_id, own_language, language, title in rows:
        rank = (
            0
            if language == reader
            else 1
            if language == "en"
            else 2
            if language == own_language
            else 3
        )
        if str(appeal_id) not in titles or rank < titles[str(appeal_id)][0]:
            titles[str(appeal_id)] = (rank, title)
    return {appeal_id: title for appeal_id, (_rank, title) in titles.items()}
