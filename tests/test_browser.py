"""The staff pages in a real browser (headless Chromium driven by Playwright).

Skipped where Chromium is not installed (`apt-get install chromium`); CI installs it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ngo.extensions import db
from tests import factories
from tests.conftest import current_totp, sent_mail

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(live_server: str, tmp_path: Path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda message: (
                page.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.set_default_timeout(10_000)
        yield page
        page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        browser.close()


def test_admin_signs_in_with_totp_and_invites_a_colleague(app, page, live_server, admin):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/two-factor")
    db.session.refresh(admin)
    page.get_by_label("Code from your authenticator app").fill(current_totp(admin))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/dashboard")

    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_text("Administration").click()  # a <details> drop-down, no script
    menu.get_by_role("link", name="Users and invitations").click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail").fill("new.colleague@example.org")
    page.get_by_label("Role").select_option("verifier")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/admin/users")
    assert "Invitation sent" in page.locator("[role=status]").inner_text()
    assert [m["To"] for m in sent_mail(app)] == ["new.colleague@example.org"]
    # Nothing the strict Content-Security-Policy blocked, no script error.
    assert page.console_errors == []


def test_language_switch_and_keyboard_use_without_javascript(page, live_server):
    page.goto(f"{live_server}/login")
    # Readers get a link to the language page (a form there would need a session cookie).
    page.get_by_role("link", name="Change language").click()
    page.get_by_role("button", name="Polski").click()
    page.wait_for_url("**/login")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.get_by_role("heading", level=1).inner_text() == "Logowanie dla personelu"

    page.keyboard.press("Tab")
    skip_link = page.locator(".skip-link")
    assert skip_link.evaluate("el => el === document.activeElement")
    assert page.console_errors == []


def test_form_errors_are_announced_and_linked(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    assert "valid e-mail address" in summary.inner_text()
    email = page.get_by_label("E-mail")
    assert email.get_attribute("aria-invalid") == "true"
    assert "email-error" in email.get_attribute("aria-describedby")


def test_caseworker_finds_the_seed_case_and_walks_its_tabs(
    app, page, live_server, organisation, make_user
):
    caseworker = make_user("caseworker", two_factor=False, is_demo=True)
    verifier = make_user("verifier")
    app.config["NGO_ENV"] = "development"  # demo users skip 2FA only here
    factories.seed_case(organisation, caseworker, verifier)
    db.session.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(caseworker.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_label("Name").fill("Aliaksandr")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Alexander").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Alexander"
    tabs = page.get_by_role("navigation", name="Case sections")
    for tab, heading in [
        ("Household", "Household"),
        ("Consent", "Consent"),
        ("Evidence", "Evidence"),
        ("Story", "Story"),
    ]:
        tabs.get_by_role("link", name=tab, exact=True).click()
        assert page.get_by_role("heading", level=2).first.inner_text().startswith(heading)
    assert "Mogilev prison" in page.content()
    assert page.console_errors == []
