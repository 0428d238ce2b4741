"""How the audit log names an appeal (ngo/audit_reading.py): its title in its own language."""

from __future__ import annotations

from collections.abc import Mapping

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
    titles: dict[str, str] = {}
    for appeal_id, own_language, language, title in rows:
        # The title in the appeal's own language wins over the first translation written.
        if str(appeal_id) not in titles or language == own_language:
            titles[str(appeal_id)] = title
    return titles
