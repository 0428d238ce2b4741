"""The public site in a real browser: a reader browses the list, opens the seed appeal, reads
its budget and progress in English and in Polish, and axe-core finds no serious or critical
accessibility problem on the home, list and appeal pages.

axe-core is vendored under tests/vendor (no CDN). It is injected into the page, which the
site's Content-Security-Policy forbids, so these pages are opened with CSP bypassed; the
pages themselves run no script. Skipped where Chromium is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.demo import seed_demo
from ngo.demo.cases import STORY_TITLE as SEED_TITLE
from ngo.extensions import db
from ngo.money import Money, format_money_short
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server  # noqa: F401  (fixture)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def reader(live_server, tmp_path):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        browser.close()


def serious_accessibility_problems(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def demo(app):
    seed_demo()
    db.session.commit()
    return db.session.scalars(
        select(Appeal).join(AppealTranslation).where(AppealTranslation.title == SEED_TITLE)
    ).one()


def test_reader_finds_the_seed_appeal_and_reads_budget_and_progress(reader, live_server, demo):  # noqa: F811
    reader.goto(f"{live_server}/")
    assert serious_accessibility_problems(reader) == []
    reader.get_by_role("link", name="See all appeals").click()
    reader.wait_for_url("**/appeals")
    assert serious_accessibility_problems(reader) == []

    reader.get_by_label("Search").fill("Stolin")
    reader.get_by_role("button", name="Show appeals").click()
    reader.wait_for_url("**/appeals?*q=Stolin*")
    reader.get_by_role("link", name=SEED_TITLE).click()
    reader.wait_for_url(f"**/appeals/{demo.slug}")
    assert serious_accessibility_problems(reader) == []

    _check_budget_and_progress(reader, "en")

    reader.get_by_role("link", name="Change language").click()
    reader.get_by_role("button", name="Polski").click()
    reader.wait_for_url(f"**/appeals/{demo.slug}")
    assert reader.locator("html").get_attribute("lang") == "pl"
    _check_budget_and_progress(reader, "pl")
    assert serious_accessibility_problems(reader) == []


def _check_budget_and_progress(page, locale: str) -> None:
    raised = format_money_short(Money(23_100, "EUR"), locale)
    goal = format_money_short(Money(440_000, "EUR"), locale)
    progress = page.locator(".appeal-funding progress")
    assert (progress.get_attribute("value"), progress.get_attribute("max")) == ("23100", "440000")
    headline = _plain(page.locator("#appeal-raised").inner_text())
    assert _plain(raised) in headline and _plain(goal) in headline
    assert headline != f"{_plain(raised)} of {_plain(goal)}" or locale == "en"
    table = page.get_by_role("table")
    rows = table.locator("tbody tr:not(.budget-group):not(.budget-spending)")
    assert rows.count() == 4
    amounts = [_plain(rows.nth(i).locator("td").first.inner_text()) for i in range(rows.count())]
    assert amounts == [
        _plain(format_money_short(Money(amount, "EUR"), locale))
        for amount in (210_000, 100_000, 70_000, 60_000)
    ]
    total = _plain(table.locator("tfoot td").first.inner_text())
    assert total == _plain(goal)


def test_the_list_filters_without_javascript(reader, live_server, demo):  # noqa: F811
    reader.context.set_extra_http_headers({"Accept-Language": "en"})
    reader.goto(f"{live_server}/appeals")
    reader.get_by_label("Written in").select_option("pl")
    reader.get_by_role("button", name="Show appeals").click()
    reader.wait_for_url("**language=pl*")
    titles = reader.locator(".appeal-card .card-title").all_inner_texts()
    assert titles and SEED_TITLE not in titles  # the seed appeal is written in English only
    assert json.dumps(serious_accessibility_problems(reader)) == "[]"


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_with_spending(demo):
    """The seed appeal with a payment out of its rent line, recorded by a treasurer."""
    from datetime import date

    from ngo.accounts.models import Organisation
    from ngo.donations import disbursements
    from ngo.donations.disbursements import NewDisbursement, Proof
    from tests import factories

    organisation = db.session.get(Organisation, demo.organisation_id)
    treasurer = factories.UserFactory(role="treasurer", organisation=organisation)
    rent = min(demo.budget_lines, key=lambda line: line.id)
    disbursements.record_disbursement(
        demo,
        NewDisbursement(
            budget_line_id=rent.id,
            amount_minor=10_000,
            paid_on=date.today(),
            payee_kind="supplier",
            payee_note="Landlord",
            public_description="Deposit for the flat",
            proof=Proof(factories.sample_pdf(), "invoice.pdf"),
            override=True,
            override_reason="Demo",
        ),
        actor=treasurer,
    )
    db.session.commit()
    return demo


def test_the_budget_table_reads_on_a_phone(reader, live_server, demo_with_spending):  # noqa: F811
    """390 px wide: no horizontal scroll, the caption keeps its width, every figure is
    labelled (amount, funded, spent), and the ledger page reads too."""
    reader.set_viewport_size(PHONE)
    reader.goto(f"{live_server}/appeals/{demo_with_spending.slug}")
    assert reader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    caption = reader.locator("table.budget caption")
    box = caption.bounding_box()
    assert box is not None and box["width"] > PHONE["width"] * 0.6, box
    words = len(caption.inner_text().split())
    assert box["height"] < words * 12, (box, words)  # not one word a line
    figures = reader.locator("table.budget td.num")
    assert figures.count() == 15  # 4 lines and the total, three figures each
    labels = figures.evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"Amount"', '"Funded"', '"Spent"'] * 5, labels
    for i in range(figures.count()):
        assert figures.nth(i).is_visible()
    assert "Deposit for the flat" in reader.locator("table.budget").inner_text()
    assert serious_accessibility_problems(reader) == []

    reader.get_by_role("link", name="Public ledger", exact=False).click()
    reader.wait_for_url(f"**/appeals/{demo_with_spending.slug}/ledger")
    assert reader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "Deposit for the flat" in reader.locator("table.ledger").inner_text()
    assert serious_accessibility_problems(reader) == []


def test_cards_name_their_organisation_and_fit_a_phone(reader, live_server, demo):  # noqa: F811
    """390 px wide, with an organisation name longer than the card is wide: the name wraps
    inside each card, the page does not scroll sideways, and the give button stays a full
    tap target."""
    from ngo.accounts.models import Organisation

    organisation = db.session.get(Organisation, demo.organisation_id)
    organisation.name = "Stowarzyszenie" + "Solidarnosci" * 6 + " Bialoruskiej"
    db.session.commit()
    reader.set_viewport_size(PHONE)
    for path in ("/", "/appeals", "/appeals?q=Alexander"):
        reader.goto(f"{live_server}{path}")
        assert reader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        card = reader.locator(".appeal-card", has_text=SEED_TITLE).first
        runner = card.locator(".card-organiser a")
        assert _plain(runner.inner_text()) == organisation.name
        assert runner.get_attribute("href") == f"/organisations/{organisation.slug}"
        card_box, runner_box = card.bounding_box(), runner.bounding_box()
        assert card_box and runner_box
        assert runner_box["x"] + runner_box["width"] <= card_box["x"] + card_box["width"] + 1
        give = card.locator(".card-give")
        give_box = give.bounding_box()
        assert give_box and give_box["height"] >= 44 and give_box["width"] >= 44
    assert serious_accessibility_problems(reader) == []
