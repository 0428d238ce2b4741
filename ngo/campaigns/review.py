"""What a second person approves: the public content of an appeal or an update, named by a
digest, kept as a snapshot when it is sent for review, and compared when it changed meanwhile.

The content is what readers get: every public text (titles, summaries, the story and update
bodies also as rendered HTML, names shown, budget labels and descriptions in each language),
the budget (amounts, currency, essential or stretch, priority), the facts lists filter on, and
the photos, by the SHA-256 of their stored bytes and their descriptions. Its digest is the
SHA-256 of one canonical JSON serialisation (sorted keys, no insignificant whitespace, UTF-8),
so the same content always has the same digest. The review page carries the digest in its
approve form; approval with a digest that no longer matches is refused, and the snapshot of the
digest the approver read shows them what changed.

Snapshots are written only by POSTs (sending for review, approving), never by a page view.
They hold only public text, but unapproved text is kept like a draft: encrypted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import defer

from ngo.campaigns.errors import AppealError
from ngo.campaigns.labels import ALLOCATION_RULE_LABELS, OVERFUNDING_POLICY_LABELS
from ngo.campaigns.models import Appeal, AppealUpdate, PublicImage, ReviewSnapshot
from ngo.cases.story_diff import DiffSegment, diff_words
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.markdown import render_markdown
from ngo.money import Money, format_money

Content = dict[str, Any]

# Bumped if the serialisation ever changes, so that an old digest can never match a new form.
_FORMAT = "ngo-review-1"


class ContentChangedError(AppealError):
    """The content changed since the approver opened it. `changes` is what changed since the
    digest they read (None if that content is not on record); `digest` is the current one."""

    def __init__(self, message: object, changes: list[Change] | None, digest: str) -> None:
        super().__init__(message)
        self.changes = changes
        self.digest = digest


# The content ---------------------------------------------------------------------------


def _image(image: PublicImage) -> Content:
    return {
        "purpose": image.purpose,
        "sha256": image.sha256,
        "alt_text": image.alt_text,
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
    }


def appeal_content(appeal: Appeal) -> Content:
    """Everything of the appeal itself that its approval makes public (its updates are
    approved one by one)."""
    texts = {
        t.language: {
            "title": t.title,
            "summary": t.summary,
            "story_markdown": t.story_markdown,
            "story_html": str(render_markdown(t.story_markdown)),
            "display_name": t.display_name,
        }
        for t in appeal.translations
    }
    budget = [
        {
            "line": line.id,
            "amount_minor": line.amount_minor,
            "essential": line.essential,
            "priority": line.priority,
            "labels": {
                label.language: {"label": label.label, "description": label.description}
                for label in line.labels
            },
        }
        for line in appeal.budget_lines
    ]
    covers = db.session.scalars(
        select(PublicImage)
        .where(PublicImage.appeal_id == appeal.id, PublicImage.purpose == "cover")
        # The digest names the bytes by their stored hash: no need to read them.
        .options(defer(PublicImage.content))
        .order_by(PublicImage.id)
    )
    return {
        "kind": "appeal",
        "slug": appeal.slug,
        "currency": appeal.currency,
        "fallback_language": appeal.fallback_language,
        "details": {
            "categories": sorted(c.value for c in appeal.category_list),
            "country": appeal.country,
            "deadline": appeal.deadline.isoformat() if appeal.deadline else None,
            "update_interval_days": appeal.update_interval_days,
            # The page tells donors where their gift goes: the approver approves that too.
            "allocation_rule": appeal.allocation_rule,
            "overfunding_policy": appeal.overfunding_policy,
        },
        "texts": texts,
        "budget": budget,
        "images": [_image(image) for image in covers],
    }


def update_content(update: AppealUpdate) -> Content:
    return {
        "kind": "update",
        "update": update.public_id,
        "language": update.language,
        "title": update.title,
        "body_markdown": update.body_markdown,
        "body_html": str(render_markdown(update.body_markdown)),
        "images": [_image(update.image)] if update.image is not None else [],
    }


def serialise(content: Content) -> str:
    return json.dumps([_FORMAT, content], sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest_of(content: Content) -> str:
    return hashlib.sha256(serialise(content).encode("utf-8")).hexdigest()


def appeal_digest(appeal: Appeal) -> str:
    return digest_of(appeal_content(appeal))


def update_digest(update: AppealUpdate) -> str:
    return digest_of(update_content(update))


# Snapshots -----------------------------------------------------------------------------


def _snapshot_row(appeal_id: int, update_id: int | None, digest: str) -> ReviewSnapshot | None:
    subject = (
        ReviewSnapshot.update_id.is_(None)
        if update_id is None
        else ReviewSnapshot.update_id == update_id
    )
    return db.session.scalars(
        select(ReviewSnapshot)
        .where(ReviewSnapshot.appeal_id == appeal_id, ReviewSnapshot.digest == digest, subject)
        .limit(1)
    ).first()


def save_snapshot(appeal: Appeal, content: Content, update: AppealUpdate | None = None) -> str:
    """Keep what the reviewer will be shown (once per digest); returns the digest."""
    digest = digest_of(content)
    update_id = update.id if update is not None else None
    if _snapshot_row(appeal.id, update_id, digest) is None:
        db.session.add(
            ReviewSnapshot(
                appeal_id=appeal.id,
                update_id=update_id,
                digest=digest,
                content=serialise(content),
            )
        )
        db.session.flush()
    return digest


def snapshot(appeal: Appeal, digest: str, update: AppealUpdate | None = None) -> Content | None:
    """The content that had this digest, if it was sent for review (or approved)."""
    if len(digest) != 64:
        return None
    row = _snapshot_row(appeal.id, update.id if update is not None else None, digest)
    if row is None:
        return None
    stored: Content = json.loads(row.content)[1]
    return stored


def refuse_if_changed(
    message: object,
    seen_digest: str,
    current: Content,
    appeal: Appeal,
    update: AppealUpdate | None = None,
) -> None:
    """ContentChangedError unless `seen_digest` is the digest of `current`."""
    digest = digest_of(current)
    if seen_digest == digest:
        return
    seen = snapshot(appeal, seen_digest, update)
    raise ContentChangedError(message, compare(seen, current) if seen else None, digest)


# Differences ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference, for the approver. A text change has word-level `segments`; anything
    else (an amount, a photo added or removed) has `before` and `after` ("" if absent)."""

    label: str
    segments: list[DiffSegment] = field(default_factory=list)
    before: str = ""
    after: str = ""


_TEXT_LABELS = {
    "title": _l("title"),
    "summary": _l("summary"),
    "story_markdown": _l("story"),
    "display_name": _l("name shown"),
    "body_markdown": _l("text"),
}
_DETAIL_LABELS = {
    "categories": _l("Categories"),
    "country": _l("Country"),
    "deadline": _l("Deadline"),
    "update_interval_days": _l("Promised update interval"),
    "allocation_rule": _l("How a gift for the whole appeal is shared"),
    "overfunding_policy": _l("Once the essential lines are funded"),
}


def _language(code: str) -> str:
    return str(LANGUAGES.get(code, code))


def _text_change(label: str, old: str, new: str) -> list[Change]:
    return [] if old == new else [Change(label, diff_words(old, new))]


def _amount(content: Content, line: Content) -> str:
    money = format_money(Money(line["amount_minor"], content.get("currency", "EUR")))
    kind = _l("essential") if line["essential"] else _l("stretch")
    return f"{money} ({kind})"


def _line_name(line: Content, language: str) -> str:
    labels = line["labels"]
    chosen = labels.get(language) or next(iter(labels.values()), {"label": ""})
    return str(chosen["label"])


def _compare_budget(old: Content, new: Content) -> list[Change]:
    changes: list[Change] = []
    fallback = new.get("fallback_language", "en")
    old_lines = {line["line"]: line for line in old.get("budget", [])}
    new_lines = {line["line"]: line for line in new.get("budget", [])}
    for line_id, line in old_lines.items():
        if line_id not in new_lines:
            label = str(_l("Budget line removed: %(label)s", label=_line_name(line, fallback)))
            changes.append(Change(label, before=_amount(old, line)))
    for line_id, line in new_lines.items():
        name = _line_name(line, fallback)
        before = old_lines.get(line_id)
        if before is None:
            label = str(_l("Budget line added: %(label)s", label=name))
            changes.append(Change(label, after=_amount(new, line)))
            continue
        if (before["amount_minor"], before["essential"]) != (
            line["amount_minor"],
            line["essential"],
        ):
            label = str(_l("Amount of the budget line %(label)s", label=name))
            changes.append(Change(label, before=_amount(old, before), after=_amount(new, line)))
        if before["priority"] != line["priority"]:
            label = str(_l("Priority of the budget line %(label)s", label=name))
            changes.append(
                Change(label, before=str(before["priority"]), after=str(line["priority"]))
            )
        for language in sorted(set(before["labels"]) | set(line["labels"])):
            was = before["labels"].get(language, {"label": "", "description": ""})
            now = line["labels"].get(language, {"label": "", "description": ""})
            where = f"{name} ({_language(language)})"
            changes += _text_change(
                str(_l("Budget label: %(line)s", line=where)), was["label"], now["label"]
            )
            changes += _text_change(
                str(_l("Budget description: %(line)s", line=where)),
                was["description"],
                now["description"],
            )
    return changes


def _compare_images(old: Content, new: Content) -> list[Change]:
    changes: list[Change] = []
    old_images = {image["sha256"]: image for image in old.get("images", [])}
    new_images = {image["sha256"]: image for image in new.get("images", [])}
    for sha, image in old_images.items():
        if sha not in new_images:
            changes.append(Change(str(_l("Photo removed")), before=image["alt_text"]))
    for sha, image in new_images.items():
        if sha not in old_images:
            changes.append(Change(str(_l("Photo added")), after=image["alt_text"]))
        else:
            changes += _text_change(
                str(_l("Photo description")), old_images[sha]["alt_text"], image["alt_text"]
            )
    return changes


def _facts(content: Content) -> dict[str, str]:
    details = content.get("details", {})
    facts = {key: details.get(key) for key in _DETAIL_LABELS}
    categories = facts.get("categories") or []
    facts["categories"] = ", ".join(categories)
    for key, labels in (
        ("allocation_rule", ALLOCATION_RULE_LABELS),
        ("overfunding_policy", OVERFUNDING_POLICY_LABELS),
    ):
        code = facts.get(key)
        # A snapshot from before the rules were part of the content has none.
        known = {member.value: label for member, label in labels.items()}
        facts[key] = str(known[code]) if code in known else code
    return {key: "" if value is None else str(value) for key, value in facts.items()}


def compare(old: Content, new: Content) -> list[Change]:
    """What changed from `old` to `new` (two contents of the same appeal or update)."""
    changes: list[Change] = []
    if new.get("kind") == "update":
        if old.get("language") != new.get("language"):
            changes.append(
                Change(
                    str(_l("Language")),
                    before=_language(old.get("language", "")),
                    after=_language(new.get("language", "")),
                )
            )
        for key in ("title", "body_markdown"):
            changes += _text_change(
                str(_TEXT_LABELS[key]).capitalize(), old.get(key, ""), new.get(key, "")
            )
        return changes + _compare_images(old, new)

    old_texts, new_texts = old.get("texts", {}), new.get("texts", {})
    for language in sorted(set(old_texts) | set(new_texts)):
        was, now = old_texts.get(language, {}), new_texts.get(language, {})
        for key in ("title", "summary", "story_markdown", "display_name"):
            label = f"{_language(language)}: {_TEXT_LABELS[key]}"
            changes += _text_change(label, was.get(key, ""), now.get(key, ""))
    changes += _compare_budget(old, new)
    old_facts, new_facts = _facts(old), _facts(new)
    for key, label in _DETAIL_LABELS.items():
        if old_facts[key] != new_facts[key]:
            changes.append(Change(str(label), before=old_facts[key], after=new_facts[key]))
    return changes + _compare_images(old, new)
