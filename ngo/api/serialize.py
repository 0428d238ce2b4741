"""The public answers about appeals (the models of schemas.py), built only from the public
tables (appeal, translations, budget lines and their labels, updates, public images) and the
verification badge; never from a case's personal fields. Amounts stay integers in minor units
next to the currency code; the models check each answer against the document as it is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, url_for

from ngo.api import schemas
from ngo.campaigns.models import Appeal
from ngo.donations import public_ledger
from ngo.donations.models import LedgerCheckpoint
from ngo.public.browse import (
    Badge,
    Card,
    Listing,
    PageAppeal,
    PublicLine,
    PublicUpdate,
    line_text,
    pick_text,
)

# The public site's pages: the appeal page, and its images (served under their random token
# while their appeal is listed).
APPEAL_ENDPOINT = "public_appeals.appeal"
IMAGE_ENDPOINT = "public_appeals.media"


def site_url(path: str) -> str:
    """Absolute, on the configured public address: never built from the request's Host header,
    which a cached answer would then repeat to everyone."""
    return f"{current_app.config['NGO_BASE_URL']}{path}"


def appeal_url(slug: str) -> str:
    return site_url(url_for(APPEAL_ENDPOINT, slug=slug))


def image_url(token: str | None) -> str | None:
    return site_url(url_for(IMAGE_ENDPOINT, token=token)) if token else None


def _summary_fields(card: Card, funded_minor: int, spent_minor: int) -> dict[str, Any]:
    return {
        "slug": card.slug,
        "url": appeal_url(card.slug),
        "status": card.status,
        "title": card.title,
        "summary": card.summary,
        "display_name": card.display_name,
        "language": card.language,
        "languages": card.languages,
        "categories": [c.value for c in card.categories],
        "country": card.country,
        "currency": card.goal.currency,
        "deadline": card.deadline,
        "published_at": card.published_at,
        "last_update_at": card.last_update_at,
        "goal_minor": card.goal.amount_minor,
        "essential_minor": card.essential.amount_minor,
        "raised_minor": card.raised.amount_minor,
        "donations_count": card.donations,
        "funded_minor": funded_minor,
        "spent_minor": spent_minor,
        "cover_image_url": image_url(card.cover_token),
    }


def summary(listing: Listing) -> schemas.AppealSummary:
    """What a list shows of one appeal (its card: the text in the asked language, else
    English, else the appeal's own language)."""
    return schemas.AppealSummary(
        **_summary_fields(listing.card, listing.funded_minor, listing.spent_minor)
    )


def _verification(badge: Badge | None) -> schemas.Verification | None:
    if badge is None:
        return None
    return schemas.Verification(
        organisation=badge.organisation,
        verified_on=badge.verified_on,
        checks=list(badge.checks),
        valid_until=badge.valid_until,
    )


def _update(update: PublicUpdate) -> schemas.AppealUpdate:
    if update.posted_at is None:  # browse gives posted updates only: a bug, never an answer
        raise ValueError("an unposted update reached the public API")
    return schemas.AppealUpdate(
        id=update.public_id,
        title=update.title,
        body_markdown=update.body_markdown,
        posted_at=update.posted_at,
        language=update.language,
        image_url=image_url(update.image.token if update.image else None),
    )


def detail(
    appeal: PageAppeal,
    lang: str | None,
    *,
    card: Card,
    badge: Badge | None,
    lines: Sequence[PublicLine],
    updates: Sequence[PublicUpdate],
) -> schemas.Appeal:
    """One appeal in full; `lines` are its budget lines in their order."""
    language = lang or ""
    text = pick_text(appeal.translations, language, appeal.fallback_language)
    # Budget lines follow the text's language where they are written in it.
    lines_language = text.language if text else appeal.fallback_language
    budget_lines = []
    for line in lines:
        label, description = line_text(line, lines_language, appeal.fallback_language)
        budget_lines.append(
            schemas.BudgetLine(
                label=label,
                description=description,
                amount_minor=line.amount_minor,
                funded_minor=line.funded_minor,
                spent_minor=line.spent_minor,
                essential=line.essential,
                priority=line.priority,
            )
        )
    return schemas.Appeal(
        **_summary_fields(
            card,
            sum(line.funded_minor for line in lines),
            sum(line.spent_minor for line in lines),
        ),
        story_markdown=text.story_markdown if text else "",
        update_interval_days=appeal.update_interval_days,
        budget_lines=budget_lines,
        verification=_verification(badge),
        updates=[_update(u) for u in updates],
    )


HOW_TO_VERIFY = (
    "Each gift's receipt_code_hash is SHA-256 of 'ngo-gift:<gift_id>:<code>', the code being "
    "the private code on the donor's receipt in capitals without dashes or spaces: a donor "
    "can find their own gift, nobody else can link an entry to a person. Entries are chained "
    "with a keyed hash (seq, hash) and the chain's head is signed into checkpoints with "
    "Ed25519 (public_key); keep a copy of checkpoint.line: `flask --app ngo ledger verify "
    "--checkpoint LINE` run by the organisation's auditors shows any rewrite since. The "
    "appeal's funded and spent figures are sums of these entries."
)


def ledger(
    appeal: Appeal, page: public_ledger.Page, checkpoint: LedgerCheckpoint | None
) -> schemas.Ledger:
    """A page of the appeal's public ledger: only what the public page shows."""
    fallback = appeal.fallback_language

    def labels(line_ids: tuple[int, ...]) -> list[str]:
        return [
            public_ledger.line_label(page.lines[i], fallback, fallback)
            for i in line_ids
            if i in page.lines
        ]

    data = [
        schemas.LedgerEntry(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            kind=entry.kind,
            amount_minor=entry.amount.amount_minor,
            currency=entry.amount.currency,
            budget_lines=labels(entry.budget_line_ids),
            gift_id=entry.gift_id,
            gift_amount_minor=entry.gift_amount.amount_minor
            if entry.gift_amount is not None
            else None,
            gift_currency=entry.gift_amount.currency if entry.gift_amount is not None else None,
            fee_minor=entry.fee.amount_minor if entry.fee is not None else None,
            donor=entry.donor_name,
            receipt_code_hash=entry.receipt_code_hash,
            description=entry.description,
            hash=entry.hash,
        )
        for entry in page.entries
    ]
    info = None
    if checkpoint is not None:
        info = schemas.LedgerCheckpointInfo(
            seq=checkpoint.seq,
            head_hash=checkpoint.head_hash,
            created_at=checkpoint.created_at,
            signature=checkpoint.signature,
            public_key=checkpoint.public_key,
            line=checkpoint.as_checkpoint().to_line(),
        )
    return schemas.Ledger(
        slug=appeal.slug,
        currency=appeal.currency,
        data=data,
        next_cursor=page.next_cursor,
        checkpoint=info,
        how_to_verify=HOW_TO_VERIFY,
    )
