"""Each role's main journey in a real browser, on the demo data, at 1280 and 390 pixels wide.

A reader gives by bank transfer, follows an appeal and reports a concern; a caseworker goes
from the dashboard to a case, its story, its history and its appeal; a verifier opens a
story waiting for them; a treasurer walks donations, the statement queue and payments out;
an admin users, the organisation's settings, the background work and the audit log; a
funder the portal and a report.

On every page, at both widths: no serious or critical axe-core violation, no console error
(the strict Content-Security-Policy stays on: axe is added as an init script, which CSP does
not govern), and a screenshot in the artefacts folder (NGO_TEST_ARTIFACTS, default
test-artifacts/journeys, ignored by git). At 390 pixels: no horizontal scroll and the main
links and buttons at least 44 pixels tall and wide. At 1280 pixels the staff menu fits one line.

The demo is seeded once for the module (it takes seconds) into a database whose commits the
live server sees; one browser serves every journey, one context (one sign-in) per role.
With pytest-xdist the module runs on one worker (its xdist_group). Skipped where Chromium is
not installed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.serving import make_server

from ngo.accounts.models import Role
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.cases.models import Beneficiary
from ngo.demo import DEMO_DOMAIN, seed_demo
from ngo.demo import cases as demo_cases
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from tests.conftest import _committed_app, _rendered_sample_pdf
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
    ),
    # One worker walks every journey in order, on the demo it seeded once.
    pytest.mark.xdist_group("journeys"),
]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TAP_TARGET = 44
# The main links and buttons a thumb has to hit: the menus, every button and submit, and
# links styled as buttons. Links inside running text are exempt (WCAG 2.5.8's inline case).
TAP_TARGETS = (
    "header a, header summary, header button, header select, "
    "main button, main [type=submit], main a.button, main summary"
)
ARTIFACTS = Path(
    os.environ.get("NGO_TEST_ARTIFACTS")
    or Path(__file__).resolve().parent.parent / "test-artifacts" / "journeys"
)


@dataclass
class Demo:
    base: str
    urls: dict[str, str]
    problems: dict[str, list[str]] = field(default_factory=dict)


def _urls(app: Flask) -> dict[str, str]:
    appeal = db.session.scalars(
        select(Appeal).join(AppealTranslation).where(AppealTranslation.title == STORY_TITLE)
    ).one()
    cases = {c.public_name: c for c in db.session.scalars(select(Beneficiary))}
    with app.test_request_context():
        return {
            "home": url_for("public.home"),
            "list": url_for("public_appeals.appeal_list"),
            "appeal": url_for("public_appeals.appeal", slug=appeal.slug),
            "donate": url_for("donations_public.donate", slug=appeal.slug),
            "follow": url_for("appeal_forms.follow", slug=appeal.slug),
            "concern": url_for("appeal_forms.report_concern", slug=appeal.slug),
            "login": url_for("accounts.login"),
            "dashboard": url_for("dashboard.home"),
            "cases": url_for("cases.case_list"),
            "case": url_for("cases.profile", reference=cases["Alexander"].reference),
            "story": url_for("cases.story", reference=cases["Alexander"].reference),
            "history": url_for("cases.history", reference=cases["Alexander"].reference),
            "staff_appeal": url_for("appeals.appeal", slug=appeal.slug),
            "waiting_story": url_for("cases.story", reference=cases["Ihar"].reference),
            "donations": url_for("donations.donation_list"),
            "statements": url_for("donations_treasury.queue"),
            "disbursements": url_for("disbursements.index"),
            "users": url_for("admin.users"),
            "organisation": url_for("admin.organisation"),
            "work": url_for("admin.work"),
            "audit": url_for("admin.audit_log"),
            "portal": url_for("funder_portal.home"),
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, migrated_test_database: str | None):
    folder = tmp_path_factory.mktemp("journeys")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NGO_INSTANCE_PATH", str(folder / "instance"))
        # The demo's sample documents rendered once per run, as `sample_documents_once` does.
        patch.setattr(
            demo_cases, "sample_pdf", lambda title, lines: _rendered_sample_pdf(title, tuple(lines))
        )
        apps = _committed_app(folder, {})
        app = next(apps)
        try:
            app.config["NGO_ENV"] = "development"  # demo users skip 2FA only here
            seed_demo()
            db.session.commit()
            urls = _urls(app)
            db.session.remove()
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield Demo(f"http://127.0.0.1:{server.server_port}", urls)
            finally:
                server.shutdown()
                thread.join(timeout=10)
        finally:
            apps.close()


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Journey:
    """One role's walk: every page checked at both widths, the problems gathered so that a
    run names them all at once."""

    def __init__(self, browser: Any, demo: Demo, role: str) -> None:
        self.demo, self.role = demo, role
        self.context = browser.new_context(locale="en-GB", viewport=DESKTOP)
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda message: self.console.append(message.text) if message.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.console.append(str(error)))
        self.problems: list[str] = []
        self.axe: dict[str, list[str]] = {}

    def url(self, name: str) -> str:
        return self.demo.base + self.demo.urls[name]

    def open(self, name: str, *, check: str | None = None) -> None:
        response = self.page.goto(self.url(name))
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        self.check(check or name)

    def sign_in(self) -> None:
        self.page.goto(self.url("login"))
        self.page.get_by_label("E-mail").fill(f"{self.role}@{DEMO_DOMAIN}")
        self.page.get_by_label("Password").fill(f"{self.role}-demo-password")
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**" + self.demo.urls["dashboard"])
        self.check("dashboard")

    def check(self, name: str) -> None:
        """The page as it is now, at the present width and then the other one."""
        widths = [DESKTOP, PHONE]
        if self.page.viewport_size["width"] == PHONE["width"]:
            widths.reverse()
        for viewport in widths:
            self.page.set_viewport_size(viewport)
            self._check_at(name, viewport["width"])
        if self.console:
            self.problems.append(f"{name}: console errors {self.console}")
            self.console.clear()

    def _check_at(self, name: str, width: int) -> None:
        where = f"{name} at {width}px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=str(ARTIFACTS / f"{self.role}-{name}-{width}.png"), full_page=True
        )
        violations = serious_accessibility_problems(self.page)
        self.axe[where] = violations
        self.problems += [f"{where}: axe {v}" for v in violations]
        if width == PHONE["width"]:
            scroll, client = self.page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if scroll > client:
                self.problems.append(f"{where}: horizontal scroll ({scroll} > {client})")
            self.problems += [
                f"{where}: small tap target {t}" for t in small_tap_targets(self.page)
            ]
        elif self.page.locator(".staff-menu").count():
            rows = self.page.evaluate(
                """() => new Set([...document.querySelectorAll('.staff-menu > li')]
                    .filter(li => li.offsetParent !== null)
                    .map(li => Math.round(li.getBoundingClientRect().top))).size"""
            )
            if rows > 1:
                self.problems.append(f"{where}: the staff menu takes {rows} lines")

    def check_menus(self) -> None:
        """The staff menu opened: on a phone the whole of it, every group unfolded; on a wide
        screen the first drop-down."""
        self.page.set_viewport_size(PHONE)
        self.page.locator(".site-menu > summary").click()
        self.page.locator(".site-menu details").evaluate_all(
            "groups => groups.forEach(g => { g.open = true; })"
        )
        self._check_at("menu-open", PHONE["width"])
        self.page.locator(".site-menu > summary").click()
        self.page.set_viewport_size(DESKTOP)
        self.page.locator(".staff-nav .menu-group summary").first.click()
        self._check_at("menu-open", DESKTOP["width"])
        self.page.locator(".staff-nav .menu-group summary").first.click()

    def close(self) -> None:
        self.context.close()


def serious_accessibility_problems(page: Any) -> list[str]:
    result = page.evaluate(
        # Only the violations are reported back: axe then skips summarising what passed.
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
        })""",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def small_tap_targets(page: Any) -> list[str]:
    return page.evaluate(
        """([selector, least]) => [...document.querySelectorAll(selector)]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, box]) => box.right > 0 && box.bottom > 0)
            .filter(([e, box]) => box.width < least || box.height < least)
            .map(([e, box]) => `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}"`
                + ` ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        [TAP_TARGETS, TAP_TARGET],
    )


@pytest.fixture
def journey(browser: Any, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Any]:
    def start(role: str) -> Journey:
        walk = Journey(browser, demo, role)
        request.addfinalizer(walk.close)
        return walk

    yield start


def _passes(walk: Journey) -> None:
    for where, violations in walk.axe.items():
        print(f"axe {walk.role} {where}: {len(violations)} serious or critical")
    assert walk.problems == []


def test_a_reader_gives_by_bank_transfer_follows_and_reports_a_concern(journey):
    walk = journey("reader")
    walk.open("home")
    walk.page.get_by_role("link", name="See all appeals").first.click()
    walk.page.wait_for_url("**" + walk.demo.urls["list"])
    walk.check("list")
    walk.page.get_by_role("link", name=STORY_TITLE).first.click()
    walk.page.wait_for_url("**" + walk.demo.urls["appeal"])
    walk.check("appeal")

    walk.page.get_by_role("link", name="Donate to this appeal").first.click()
    walk.page.wait_for_url("**" + walk.demo.urls["donate"])
    walk.check("donate")
    walk.page.get_by_label("Amount", exact=True).fill("25")
    walk.page.get_by_label("Your e-mail address, for the receipt").fill("reader@example.org")
    walk.page.get_by_label("Bank transfer").check()
    walk.page.get_by_role("button", name="Continue").click()
    walk.page.wait_for_url(re.compile(r".*/giving/[^/]+$"))
    assert "IBAN" in walk.page.locator("main").inner_text()
    walk.check("bank-transfer")

    walk.open("follow")
    walk.page.get_by_label("Your e-mail address").fill("reader@example.org")
    walk.page.get_by_role("button", name="Follow this appeal").click()
    walk.page.wait_for_url("**/follow/sent")
    walk.check("follow-sent")

    walk.open("concern")
    walk.page.get_by_label("What is the concern about?").select_option(index=1)
    walk.page.get_by_label("Your message").fill("The photo looks like one from another appeal.")
    walk.page.get_by_role("button", name="Send the report").click()
    walk.page.wait_for_url("**?concern=sent*")
    walk.check("concern-sent")
    _passes(walk)


def test_a_caseworker_goes_from_the_dashboard_to_a_case_its_story_history_and_appeal(journey):
    walk = journey(Role.CASEWORKER.value)
    walk.sign_in()
    walk.open("cases")
    walk.open("case")
    walk.open("story", check="story-editor")
    assert walk.page.locator("main textarea").count() >= 1
    walk.open("history")
    assert walk.page.get_by_text("registered the case Alexander").count() >= 1
    walk.open("staff_appeal")
    walk.check_menus()
    _passes(walk)


def test_a_verifier_opens_a_story_waiting_for_a_second_person(journey):
    walk = journey(Role.VERIFIER.value)
    walk.sign_in()
    walk.open("waiting_story", check="verification-form")
    # The waiting story's own form (its buttons are only the decisions that are possible).
    assert walk.page.get_by_role("heading", name=re.compile("^Verify version")).count() == 1
    assert walk.page.locator("form[action$='/verify'] [type=submit]").count() >= 1
    walk.check_menus()
    _passes(walk)


def test_a_treasurer_walks_donations_statements_and_payments_out(journey):
    walk = journey(Role.TREASURER.value)
    walk.sign_in()
    walk.open("donations")
    walk.open("statements")
    walk.open("disbursements")
    walk.check_menus()
    _passes(walk)


def test_an_admin_walks_users_settings_background_work_and_the_audit_log(journey):
    walk = journey(Role.ADMIN.value)
    walk.sign_in()
    walk.open("users")
    walk.open("organisation")
    walk.open("work")
    walk.open("audit")
    assert walk.page.get_by_text("signed in").count() >= 1  # sentences, not stored names
    walk.check_menus()
    _passes(walk)


def test_a_funder_opens_the_portal_and_a_report(journey):
    walk = journey(Role.FUNDER.value)
    walk.sign_in()
    walk.open("portal")
    report = walk.page.locator("a[href*='/funder/reports/']").first
    response = walk.page.request.get(walk.demo.base + report.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    walk.check_menus()
    _passes(walk)


def test_the_staff_menu_opens_without_javascript(browser, demo):
    context = browser.new_context(locale="en-GB", viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(demo.base + demo.urls["login"])
        page.get_by_label("E-mail").fill(f"{Role.ADMIN.value}@{DEMO_DOMAIN}")
        page.get_by_label("Password").fill(f"{Role.ADMIN.value}-demo-password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**" + demo.urls["dashboard"])
        assert page.get_by_role("link", name="Users and invitations").count() == 0  # folded
        page.get_by_text("Menu", exact=True).click()
        menu = page.get_by_role("navigation", name="Main")
        menu.get_by_text("Administration", exact=True).click()
        menu.get_by_role("link", name="Users and invitations").click()
        page.wait_for_url("**" + demo.urls["users"])

        page.set_viewport_size(DESKTOP)
        menu = page.get_by_role("navigation", name="Main")
        menu.get_by_text("Money", exact=True).click()
        menu.get_by_role("link", name="Donations").click()
        page.wait_for_url("**" + demo.urls["donations"])
        assert page.get_by_role("heading", level=1).inner_text() == "Donations"
    finally:
        context.close()
