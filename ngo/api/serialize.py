"""The public JSON of an appeal, built only from the public tables (appeal, translations,
budget lines and their labels, updates, public images) and the verification badge; never from a
case's personal fields. Amounts stay integers in minor units next to the currency code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, url_for

from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.public.browse import Badge, line_text, translation_for

# The public site's pages: the appeal page, and its images (served under their random token
# while their appeal is listed).
APPEAL_ENDPOINT = "public_appeals.appeal"
IMAGE_ENDPOINT = "public_appeals.media"

Json = dict[str, Any]


def site_url(path: str) -> str:
    """Absolute, on the configured public address: never built from the request's Host header,
    which a cached answer would then repeat to everyone."""
    return f"{current_app.config['NGO_BASE_URL']}{path}"


def appeal_url(slug: str) -> str:
    return site_url(url_for(APPEAL_ENDPOINT, slug=slug))


def image_url(token: str | None) -> str | None:
    return site_url(url_for(IMAGE_ENDPOINT, token=token)) if token else None


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC, to the second (stored times are naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(appeal: Appeal, lang: str | None, cover_token: str | None) -> Json:
    """What a list shows of one appeal; needs its translations and budget lines loaded."""
    text = translation_for(appeal, lang or appeal.fallback_language)
    lines = appeal.budget_lines
    return {
        "slug": appeal.slug,
        "url": appeal_url(appeal.slug),
        "status": appeal.status,
        "title": text.title if text else "",
        "summary": text.summary if text else "",
        "display_name": text.display_name if text else "",
        "language": text.language if text else appeal.fallback_language,
        "languages": sorted(t.language for t in appeal.translations),
        "categories": [c.value for c in appeal.category_list],
        "country": appeal.country,
        "currency": appeal.currency,
        "deadline": day(appeal.deadline),
        "published_at": timestamp(appeal.published_at),
        "last_update_at": timestamp(appeal.last_update_at),
        "goal_minor": appeal.goal_minor,
        "essential_minor": appeal.essential_minor,
        "raised_minor": appeal.raised_minor,
        "funded_minor": sum(line.funded_minor for line in lines),
        "spent_minor": sum(line.spent_minor for line in lines),
        "cover_image_url": image_url(cover_token),
    }


def _verification(badge: Badge | None) -> Json | None:
    if badge is None:
        return None
    return {
        "organisation": badge.organisation,
        "verified_on": timestamp(badge.verified_on),
        "checks": list(badge.checks),
        "valid_until": timestamp(badge.valid_until),
    }


def _update(update: AppealUpdate) -> Json:
    return {
        "id": update.public_id,
        "title": update.title,
        "body_markdown": update.body_markdown,
        "posted_at": timestamp(update.posted_at),
        "language": update.language,
        "image_url": image_url(update.image.token if update.image else None),
    }


def detail(
    appeal: Appeal,
    lang: str | None,
    *,
    cover_token: str | None,
    badge: Badge | None,
    updates: Sequence[AppealUpdate],
) -> Json:
    """One appeal in full."""
    language = lang or appeal.fallback_language
    text = translation_for(appeal, language)
    # Budget lines follow the text's language where they are written in it.
    lines_language = text.language if text else language
    budget_lines = []
    for line in appeal.budget_lines:
        label, description = line_text(line, lines_language, appeal.fallback_language)
        budget_lines.append(
            {
                "label": label,
                "description": description,
                "amount_minor": line.amount_minor,
                "funded_minor": line.funded_minor,
                "spent_minor": line.spent_minor,
                "essential": line.essential,
                "priority": line.priority,
            }
        )
    return {
        **summary(appeal, lang, cover_token),
        "story_markdown": text.story_markdown if text else "",
        "update_interval_days": appeal.update_interval_days,
        "budget_lines": budget_lines,
        "verification": _verification(badge),
        "updates": [_update(u) for u in updates],
    }
