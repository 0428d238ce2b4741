"""The donate form in a real browser on a 390-pixel-wide phone: no horizontal scroll, every
field labelled, no serious accessibility problem (axe-core), and a gift sent from it reaches
Stripe's Checkout (the local stub) as one pending donation. Skipped without Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.demo import seed_demo
from ngo.demo.cases import STORY_TITLE
from ngo.donations.models import Donation
from ngo.extensions import db
from tests.donations.stripe_fixtures import stripe_config, stripe_server, stripe_stub
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server  # noqa: F401  (fixture)
from tests.test_public_browser import serious_accessibility_problems

__all__ = ["stripe_server", "stripe_stub"]  # fixtures used by name
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def app_config(stripe_server):
    return stripe_config(stripe_server)


@pytest.fixture
def phone(live_server, tmp_path):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="en-GB",
            bypass_csp=True,
            viewport={"width": 390, "height": 844},
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        browser.close()


def test_the_donate_form_fits_a_phone_and_every_field_is_labelled(
    phone,
    live_server,  # noqa: F811
    stripe_stub,
    app,
):
    seed_demo()
    db.session.commit()
    appeal = db.session.scalars(
        select(Appeal).join(AppealTranslation).where(AppealTranslation.title == STORY_TITLE)
    ).one()
    phone.goto(f"{live_server}/appeals/{appeal.slug}")
    phone.get_by_role("link", name="Donate to this appeal").first.click()
    phone.wait_for_url(f"**/appeals/{appeal.slug}/donate")
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"
    fields = "form.donate-form input, form.donate-form select, form.donate-form textarea"
    unlabelled = phone.evaluate(
        """selector => [...document.querySelectorAll(selector)]
            .filter(e => e.type !== 'hidden' && e.type !== 'submit')
            .filter(e => !(e.labels && e.labels.length))
            .map(e => e.name)""",
        fields,
    )
    assert unlabelled == []
    assert serious_accessibility_problems(phone) == []

    phone.get_by_label("Amount", exact=True).fill("25")
    phone.get_by_label("Your e-mail address, for the receipt").fill("phone@example.org")
    phone.get_by_label("Bank transfer").check()
    phone.get_by_label("Online: card and other methods").check()
    with phone.expect_request("https://checkout.stripe.test/**") as checkout:
        phone.get_by_role("button", name="Continue").click()
    assert checkout.value.url.startswith("https://checkout.stripe.test/c/pay/cs_test_")
    db.session.expire_all()
    (donation,) = db.session.scalars(select(Donation).where(Donation.amount_minor == 2_500))
    assert donation.status == "pending"
