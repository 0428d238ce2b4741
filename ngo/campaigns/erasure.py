"""Erasure reaches the appeals of an erased case (receives `ngo.signals.case_erased`)."""

from __future__ import annotations

from sqlalchemy import delete, select

from ngo.campaigns.appeals import appeals_of_case
from ngo.campaigns.models import (
    AppealStatus,
    AppealUpdate,
    ConcernReport,
    PublicImage,
    ReviewSnapshot,
)
from ngo.cases.models import Beneficiary
from ngo.extensions import db


def erase_public_copies(beneficiary: Beneficiary, **_: object) -> None:
    """Erasure reaches the appeal: its public text goes and it leaves the site for good.
    Budget lines and money counters stay, as financial records. Receives `case_erased`."""
    for appeal in appeals_of_case(beneficiary.id):
        appeal.status = AppealStatus.ARCHIVED.value
        for translation in appeal.translations:
            translation.title = "—"
            translation.summary = ""
            translation.story_markdown = ""
            translation.display_name = ""
        for update in db.session.scalars(
            select(AppealUpdate).where(AppealUpdate.appeal_id == appeal.id)
        ):
            update.title = "—"
            update.body_markdown = ""
            update.return_reason = None
            update.image_id = None
        # Photos, what reviewers were shown and readers' reports (which may repeat the
        # person's details) go entirely.
        db.session.execute(delete(ReviewSnapshot).where(ReviewSnapshot.appeal_id == appeal.id))
        db.session.execute(delete(PublicImage).where(PublicImage.appeal_id == appeal.id))
        db.session.execute(delete(ConcernReport).where(ConcernReport.appeal_id == appeal.id))
