"""E-mailed links in a real browser, under the site's Content-Security-Policy: the token after
"#" goes into the page's form (static/js/link-token.js) and into no address the browser asks
for. Skipped where Chromium is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ngo.accounts import invitations
from ngo.accounts.models import Role
from ngo.campaigns import subscriptions
from ngo.extensions import db
from tests.campaigns import appeal_fixtures
from tests.conftest import link_in, sent_mail
from tests.helpers import split_link
from tests.test_browser import CHROMIUM, live_server, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)

alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


def _record_requests(page) -> list[str]:  # noqa: F811
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def test_an_invitation_link_opens_its_form(app, page, live_server, organisation, admin):  # noqa: F811
    invitations.invite_user(
        organisation, "new.colleague@example.org", Role.VERIFIER, locale="en", actor=admin
    )
    db.session.commit()
    link = link_in(sent_mail(app)[0])
    _, token = split_link(link)
    requested = _record_requests(page)

    page.goto(f"{live_server}{link}")
    page.wait_for_selector("text=Join")

    assert page.get_by_label("Your name, as colleagues will see it").is_visible()
    assert token not in page.url
    assert not [url for url in requested if token in url]
    page.get_by_label("Your name, as colleagues will see it").fill("New Colleague")
    page.get_by_label("New password", exact=True).fill("a long and fresh passphrase")
    page.get_by_label("Repeat the new password").fill("a long and fresh passphrase")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url("**/two-factor/setup")
    assert not [url for url in requested if token in url]
    assert page.console_errors == []


def test_a_follow_link_needs_only_the_button(app, page, live_server, published):  # noqa: F811
    subscription = subscriptions.subscribe(published, "reader@example.org", "en")
    db.session.commit()
    link = link_in(sent_mail(app)[0])
    requested = _record_requests(page)

    page.goto(f"{live_server}{link}")
    page.wait_for_load_state()

    # The code field is filled and hidden; the reader sees only the question and the button.
    assert not page.get_by_label("Code from the link").is_visible()
    page.get_by_role("button", name="Yes, send me the news").click()
    page.wait_for_selector("text=You follow this appeal")
    db.session.refresh(subscription)
    assert subscription.confirmed_at is not None
    assert not [url for url in requested if subscription.token in url]
    assert page.console_errors == []


def test_a_link_without_its_code_lets_one_paste_it(app, page, live_server, published):  # noqa: F811
    subscription = subscriptions.subscribe(published, "reader@example.org", "en")
    db.session.commit()
    page.goto(f"{live_server}/follow/unsubscribe")  # as without the script: nothing filled in

    field = page.get_by_label("Code from the link")
    assert field.is_visible()
    field.fill(subscription.token)
    page.get_by_role("button", name="Stop the e-mails").click()
    page.wait_for_selector("text=No more e-mails")
    db.session.refresh(subscription)
    assert subscription.unsubscribed_at is not None
