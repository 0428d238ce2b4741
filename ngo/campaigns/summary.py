"""What the staff dashboard shows of appeals, as plain data (the dashboard composes the
domains' summaries and imports no model)."""

from __future__ import annotations

from dataclasses import dataclass

from ngo.campaigns.concerns import open_concern_count
from ngo.campaigns.overdue import overdue_appeals

__all__ = ["OverdueNews", "open_concern_count", "overdue_news"]


@dataclass(frozen=True)
class OverdueNews:
    slug: str
    title: str
    days_overdue: int


def overdue_news(organisation_id: int) -> list[OverdueNews]:
    """Listed appeals that owe their donors news, the longest silent first, each with its
    title in the appeal's own language."""
    summaries = []
    for item in overdue_appeals(organisation_id):
        appeal = item.appeal
        text = next(
            (t for t in appeal.translations if t.language == appeal.fallback_language), None
        )
        summaries.append(
            OverdueNews(appeal.slug, text.title if text else appeal.slug, item.days_overdue)
        )
    return summaries
