"""Appeals that owe their donors news: listed, and silent for longer than they promised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ngo.campaigns import visibility
from ngo.campaigns.models import Appeal
from ngo.extensions import db
from ngo.timeutil import utcnow


@dataclass(frozen=True)
class OverdueAppeal:
    appeal: Appeal
    last_news_at: datetime
    days_overdue: int


def overdue_appeals(organisation_id: int, now: datetime | None = None) -> list[OverdueAppeal]:
    """Listed appeals whose last update (or publication, before the first update) is older
    than their update interval, the longest silent first. Two queries, whatever the number."""
    now = now or utcnow()
    appeals = db.session.scalars(
        select(Appeal)
        .where(Appeal.organisation_id == organisation_id, visibility.publicly_listed(now))
        .options(selectinload(Appeal.translations))
    ).all()
    overdue: list[OverdueAppeal] = []
    for appeal in appeals:
        last = appeal.last_update_at or appeal.published_at or appeal.created_at
        due = last + timedelta(days=appeal.update_interval_days)
        if now > due:
            # Whole days, rounded up: an update due this morning is one day late tonight.
            days = -((due - now) // timedelta(days=1))
            overdue.append(OverdueAppeal(appeal, last, days))
    overdue.sort(key=lambda o: (o.last_news_at, o.appeal.id))
    return overdue
