"""Which updates an appeal has, and which await review: what the staff pages list."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ngo.campaigns.models import Appeal, AppealUpdate, PublicImage, UpdateState
from ngo.extensions import db


def display_state(update: AppealUpdate) -> str:
    """draft, in_review, published or withdrawn: what staff are shown."""
    return "withdrawn" if update.withdrawn_at is not None else update.state


def updates_of(appeal: Appeal) -> list[AppealUpdate]:
    """Every update of the appeal, drafts and withdrawn ones included, newest first (staff)."""
    return list(
        db.session.scalars(
            select(AppealUpdate)
            .where(AppealUpdate.appeal_id == appeal.id)
            # The photo's bytes are not needed for the list.
            .options(selectinload(AppealUpdate.image).defer(PublicImage.content))
            .order_by(AppealUpdate.created_at.desc(), AppealUpdate.id.desc())
        )
    )


def update_of(appeal: Appeal, public_id: str) -> AppealUpdate | None:
    if not public_id or len(public_id) > 24:
        return None
    return db.session.scalars(
        select(AppealUpdate).where(
            AppealUpdate.appeal_id == appeal.id, AppealUpdate.public_id == public_id
        )
    ).first()


def awaiting_review(organisation_id: int) -> list[AppealUpdate]:
    """The organisation's updates awaiting a second person: urgent ones first, then the
    longest waiting."""
    return list(
        db.session.scalars(
            select(AppealUpdate)
            .join(Appeal, Appeal.id == AppealUpdate.appeal_id)
            .where(
                Appeal.organisation_id == organisation_id,
                AppealUpdate.state == UpdateState.IN_REVIEW.value,
            )
            .options(selectinload(AppealUpdate.appeal).selectinload(Appeal.translations))
            .order_by(AppealUpdate.urgent.desc(), AppealUpdate.submitted_at, AppealUpdate.id)
        )
    )
