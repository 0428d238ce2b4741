"""Everything public goes through the safety check: each free text of an appeal that a public
page, feed, API answer or follower's e-mail shows is one of `services.public_texts`, and a
private value in any of them is a finding of the publication gate in that field."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import String

from ngo.campaigns import services
from ngo.campaigns.models import (
    Appeal,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    PublicImage,
)
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import draft_appeal, jpeg

alexander, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)

# Columns of the public models that hold no free text: codes chosen from a list, and random
# tokens the application generates (never written by a person, so they cannot carry a value).
NOT_FREE_TEXT = {
    "appeals.status",
    "appeals.currency",
    "appeals.fallback_language",
    "appeals.country",
    "appeals.categories",
    "appeal_translations.language",
    "budget_line_labels.language",
    "appeal_updates.language",
    "appeal_updates.public_id",
    "public_images.token",
    "public_images.purpose",
    "public_images.content_type",
    # Hex digests of reviewed content and photos, and the update's review state.
    "appeals.approved_digest",
    "appeal_updates.approved_digest",
    "appeal_updates.state",
    "public_images.sha256",
    # Names of the allocation rule and over-funding policy (enum values; the page words them).
    "appeals.allocation_rule",
    "appeals.overfunding_policy",
}
SCANNED = {
    "appeals.slug",
    "appeal_translations.title",
    "appeal_translations.summary",
    "appeal_translations.story_markdown",
    "appeal_translations.display_name",
    "budget_line_labels.label",
    "budget_line_labels.description",
    "appeal_updates.title",
    "appeal_updates.body_markdown",
    "public_images.alt_text",
}
PUBLIC_MODELS = (Appeal, AppealTranslation, BudgetLineLabel, AppealUpdate, PublicImage)


def test_every_text_column_of_the_public_models_is_scanned_or_is_no_free_text():
    """A new public text column fails here until it is added to `public_texts` (and SCANNED)."""
    columns = {
        f"{model.__tablename__}.{column.name}"
        for model in PUBLIC_MODELS
        for column in model.__table__.columns
        if isinstance(column.type, String)
    }
    assert columns - NOT_FREE_TEXT == SCANNED


@dataclass
class FullAppeal:
    """The seed appeal with one of every public text: two languages, a budget line labelled in
    both, an update with a photo, and a cover."""

    appeal: Appeal
    english: AppealTranslation
    polish: AppealTranslation
    line: BudgetLine
    update: AppealUpdate
    cover: PublicImage
    photo: PublicImage


@pytest.fixture
def full(alexander, staff) -> FullAppeal:
    appeal = draft_appeal(alexander, staff)
    texts = {t.language: t for t in appeal.translations}
    english, polish = texts["en"], texts["pl"]
    english.summary = "A family that fled needs a home."
    english.display_name = "Alexander"
    polish.summary = "Rodzina potrzebuje mieszkania."
    polish.story_markdown = "Alexander prosi o pomoc."
    (line,) = appeal.budget_lines
    line.labels.append(BudgetLineLabel(language="pl", label="Czynsz", description="Trzy miesiące"))

    def image(purpose: str, alt: str) -> PublicImage:
        return PublicImage(
            appeal_id=appeal.id, purpose=purpose, content=jpeg(), width=40, height=30, alt_text=alt
        )

    cover, photo = image("cover", "The family at home"), image("update", "Keys to the flat")
    db.session.add_all([cover, photo])
    db.session.flush()
    update = AppealUpdate(
        appeal_id=appeal.id,
        language="en",
        title="A flat",
        body_markdown="We moved in.",
        image=photo,
        # Published as the review would leave it: the gate reads only what readers see.
        state="published",
        posted_at=utcnow(),
    )
    db.session.add(update)
    db.session.commit()
    assert _findings(appeal) == []
    return FullAppeal(appeal, english, polish, line, update, cover, photo)


def _findings(appeal: Appeal) -> list[tuple[str, str]]:
    return [
        (p.finding.field, p.finding.kind)
        for p in services.publication_problems(appeal)
        if p.finding is not None
    ]


def _label(full: FullAppeal, language: str) -> BudgetLineLabel:
    return next(label for label in full.line.labels if label.language == language)


# Each public text, how the surname gets into it, and the field the gate names.
PLACES = {
    "slug": (lambda f: setattr(f.appeal, "slug", "kavaliou-help"), lambda f: "slug"),
    "title": (lambda f: setattr(f.english, "title", "Help Kavaliou"), lambda f: "en:title"),
    "summary": (lambda f: setattr(f.english, "summary", "Kavaliou"), lambda f: "en:summary"),
    "story in a translation": (
        lambda f: setattr(f.polish, "story_markdown", "Rodzina **Kavaliou**."),
        lambda f: "pl:story",
    ),
    "translated summary": (
        lambda f: setattr(f.polish, "summary", "Rodzina Kavaliou."),
        lambda f: "pl:summary",
    ),
    "display name": (
        lambda f: setattr(f.english, "display_name", "Kavaliou"),
        lambda f: "en:display_name",
    ),
    "budget label": (
        lambda f: setattr(_label(f, "en"), "label", "Rent for Kavaliou"),
        lambda f: f"en:budget:{f.line.id}",
    ),
    "budget description in a translation": (
        lambda f: setattr(_label(f, "pl"), "description", "Dla rodziny Kavaliou"),
        lambda f: f"pl:budget:{f.line.id}",
    ),
    "update title": (
        lambda f: setattr(f.update, "title", "Kavaliou moved"),
        lambda f: f"update:{f.update.public_id}",
    ),
    "update body": (
        lambda f: setattr(f.update, "body_markdown", "Thanks from Kavaliou."),
        lambda f: f"update:{f.update.public_id}",
    ),
    "cover description": (
        lambda f: setattr(f.cover, "alt_text", "Kavaliou at home"),
        lambda f: f"image:{f.cover.token}:alt",
    ),
    "update photo description": (
        lambda f: setattr(f.photo, "alt_text", "Kavaliou with keys"),
        lambda f: f"image:{f.photo.token}:alt",
    ),
}


@pytest.mark.parametrize("place", list(PLACES))
def test_a_private_value_in_any_public_text_is_a_finding_there(full, place):
    leak, field = PLACES[place]
    leak(full)
    db.session.commit()
    assert _findings(full.appeal) == [(field(full), "legal_surname")]
