"""The demo appeals of `make run`: every state, several languages, and each published one
through the real publication gate with two different people."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ngo.campaigns import services
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    Category,
)
from ngo.campaigns.visibility import is_listed
from ngo.cases.models import Beneficiary, Consent, EvidenceItem, StoryVersion
from ngo.demo import seed_demo
from ngo.demo.appeals import demo_appeals, tiny_pdf
from ngo.donations import chart
from ngo.donations.ledger import account_balances
from ngo.donations.models import Donation, StatementLine
from ngo.extensions import db
from ngo.timeutil import utcnow

VISIBLE = {AppealStatus.PUBLISHED, AppealStatus.FUNDED}


@pytest.fixture
def appeals(app, sample_documents_once) -> list[Appeal]:
    seed_demo()
    db.session.commit()
    return list(db.session.scalars(select(Appeal).order_by(Appeal.id)))


def _status(appeal: Appeal) -> AppealStatus:
    return AppealStatus(appeal.status)


def test_the_demo_has_appeals_in_every_state(appeals):
    assert len(appeals) >= 11
    counts = Counter(_status(a) for a in appeals)
    assert counts[AppealStatus.DRAFT] >= 2
    assert counts[AppealStatus.IN_REVIEW] >= 2
    assert counts[AppealStatus.PUBLISHED] >= 5
    assert counts[AppealStatus.FUNDED] >= 1
    assert counts[AppealStatus.CLOSED] >= 1
    # Each appeal has its own case.
    assert len({a.beneficiary_id for a in appeals}) == len(appeals)


def test_languages_make_filtering_meaningful(appeals):
    assert len({a.fallback_language for a in appeals}) >= 3
    only = {a.fallback_language for a in appeals if len(a.translations) == 1}
    assert {"pl", "ru", "be"} <= only
    translated = {
        t.language for a in appeals for t in a.translations if t.language != a.fallback_language
    }
    assert {"pl", "ru"} <= translated
    for appeal in appeals:
        languages = {t.language for t in appeal.translations}
        assert appeal.fallback_language in languages
        for translation in appeal.translations:
            assert translation.title and translation.story_markdown
        for line in appeal.budget_lines:
            # Every budget line is labelled in every language of its appeal.
            assert {label.language for label in line.labels} == languages


def test_public_appeals_differ_in_category_country_currency_and_deadline(appeals):
    public = [a for a in appeals if _status(a) in VISIBLE]
    assert {c for a in public for c in a.category_list} == set(Category)
    assert {"PL", "LT", "GE", "DE", "UA"} <= {a.country for a in public}
    assert {"EUR", "PLN"} <= {a.currency for a in public}
    today = date.today()
    deadlines = [a.deadline for a in public if a.deadline is not None]
    assert any(d <= today + timedelta(days=14) for d in deadlines)
    assert any(d >= today + timedelta(days=90) for d in deadlines)
    assert all(d >= today for d in deadlines)
    overdue = [
        a
        for a in public
        if a.last_update_at is None
        and a.published_at < utcnow() - timedelta(days=a.update_interval_days)
    ]
    assert len(overdue) >= 2


def test_public_appeals_passed_the_gate_with_four_eyes_and_are_listed(appeals):
    for appeal in appeals:
        if _status(appeal) in VISIBLE:
            assert services.publication_problems(appeal) == [], appeal.id
            assert appeal.listed and is_listed(appeal)
            assert appeal.approved_by_id is not None
            assert appeal.approved_by_id not in (appeal.created_by_id, appeal.submitted_by_id)
            assert appeal.published_at is not None
        else:
            assert not appeal.listed
    # Drafts and appeals in review would pass too: only the second approval is missing.
    for appeal in appeals:
        if _status(appeal) in (AppealStatus.DRAFT, AppealStatus.IN_REVIEW):
            assert services.publication_problems(appeal) == [], appeal.id
            assert appeal.published_at is None


def test_money_adds_up(appeals):
    for appeal in appeals:
        lines = appeal.budget_lines
        assert lines
        assert appeal.goal_minor == sum(line.amount_minor for line in lines)
        assert appeal.essential_minor == sum(line.amount_minor for line in lines if line.essential)
        # Raised is what donors gave; the lines hold it less what went to payment fees.
        held = account_balances(appeal_id=appeal.id)
        fees = -held.get((chart.appeal_fees(appeal.id), appeal.currency), 0)
        reserve = -held.get((chart.appeal_reserve(appeal.id), appeal.currency), 0)
        assert appeal.raised_minor == sum(line.funded_minor for line in lines) + fees + reserve
        for line in lines:
            assert 0 <= line.spent_minor <= line.funded_minor <= line.amount_minor
        if _status(appeal) in (AppealStatus.DRAFT, AppealStatus.IN_REVIEW):
            assert appeal.raised_minor == 0
        if _status(appeal) is AppealStatus.FUNDED:
            assert appeal.raised_minor == appeal.goal_minor
            assert all(line.funded_minor == line.amount_minor for line in lines)
    assert any(not line.essential for a in appeals for line in a.budget_lines)
    assert any(line.spent_minor for a in appeals for line in a.budget_lines)


def test_every_content_file_became_an_appeal(appeals):
    titles = {t.title for a in appeals for t in a.translations}
    specs = demo_appeals()
    assert len(specs) >= 10
    for spec in specs:
        assert spec.title in titles, spec.key


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Appeal,
            BudgetLine,
            BudgetLineLabel,
            AppealUpdate,
            Beneficiary,
            EvidenceItem,
            Consent,
            StoryVersion,
        )
    )


def test_seeding_twice_adds_nothing(appeals):
    before = _counts()
    seed_demo()
    db.session.commit()
    assert _counts() == before


def test_sample_documents_are_real_pdfs():
    from io import BytesIO

    from pypdf import PdfReader

    data = tiny_pdf("Court verdict (sample)", ["Sentence: (2) years", "Łódź"])
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "SAMPLE DOCUMENT FOR THE DEMO" in text
    assert "Sentence: (2) years" in text


def test_demo_updates_were_approved_by_a_second_person(appeals):
    news = db.session.scalars(select(AppealUpdate)).all()
    assert len(news) >= 3
    for update in news:
        assert update.state == "published" and update.withdrawn_at is None
        assert update.approved_by_id not in (None, update.posted_by_id)
        assert update.approved_digest and update.posted_at < utcnow()


def test_the_demo_figures_are_the_ledger_s(appeals):
    """Every demo gift went through the donations services: `ledger verify` holds, and the seed
    appeal shows €231 as the real appeal did."""
    from ngo.demo.appeals import SEED_RAISED_MINOR
    from ngo.donations import ledger

    seed = db.session.scalars(select(Appeal).order_by(Appeal.id)).first()
    assert seed.raised_minor == SEED_RAISED_MINOR
    assert ledger.verify().ok
    rent = min(seed.budget_lines, key=lambda line: line.priority)
    assert rent.spent_minor == 15_000 <= rent.funded_minor
    gifts = db.session.scalars(select(Donation).where(Donation.appeal_id == seed.id)).all()
    assert {(g.currency, g.method, g.frequency, g.status) for g in gifts} >= {
        ("PLN", "blik", "one_off", "confirmed"),
        ("EUR", "card", "monthly", "confirmed"),
        ("EUR", "bank_transfer", "one_off", "confirmed"),
    }
    assert any(g.display_name is None and g.donor is None for g in gifts)  # anonymous
    lines = db.session.scalars(select(StatementLine)).all()
    assert sorted(line.status for line in lines) == ["matched", "queued"]


def test_the_seed_appeal_has_a_drawn_cover_on_its_card_page_and_link_preview(appeals, client):
    """`make run` shows what a cover looks like: a drawing (no real person or place), approved
    with the appeal, without metadata."""
    from ngo.demo.cover_art import ALT_TEXT

    seed = appeals[0]
    page = client.get(f"/appeals/{seed.slug}").get_data(as_text=True)
    assert f'alt="{ALT_TEXT}"' in page
    assert 'property="og:image:alt"' in page and ALT_TEXT in page
    start = page.index("/media/")
    media = page[start : page.index('"', start)]
    # On a card the picture is decoration (alt=""): the card's title names the appeal.
    assert media in client.get("/appeals").get_data(as_text=True)
    picture = client.get(media)
    assert picture.status_code == 200
    assert picture.mimetype == "image/jpeg"
    assert b"Exif" not in picture.data[:200]
