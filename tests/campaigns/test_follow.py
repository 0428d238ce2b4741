"""Following an appeal by e-mail: double opt-in, no enumeration, one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ngo.campaigns import services, subscriptions
from ngo.campaigns.models import UpdateSubscription
from ngo.campaigns.subscriptions import FollowError
from ngo.crypto import blind_index
from ngo.extensions import db
from tests.campaigns import appeal_fixtures
from tests.conftest import link_in, mail_text, sent_mail
from tests.helpers import page_text, split_link

READER = "Reader@Example.org"

# Fixtures shared with the other tests of published appeals.
alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


def follow(client, appeal, email=READER, **headers):
    return client.post(
        f"/appeals/{appeal.slug}/follow", data={"follow-email": email}, headers=headers
    )


def only_subscription() -> UpdateSubscription:
    db.session.expire_all()
    return db.session.scalars(select(UpdateSubscription)).one()


def subscription_count() -> int:
    return db.session.scalar(select(func.count(UpdateSubscription.id)))


def post_news(appeal, staff, title="News of the family"):
    appeal_fixtures.publish_update(
        appeal, staff["caseworker"], staff["admin"], title=title, body_markdown="They are well."
    )
    db.session.commit()


def test_double_opt_in_through_the_pages(app, client, published, staff):
    response = follow(client, published)
    assert response.status_code == 303
    sent_page = client.get(response.headers["Location"])
    assert "Check your inbox" in page_text(sent_page)

    subscription = only_subscription()
    assert subscription.confirmed_at is None
    assert subscription.email == "Reader@example.org"  # the domain is normalised
    assert subscription.email_index == blind_index("subscription-email", "reader@example.org")
    (mail,) = sent_mail(app)
    assert mail["To"] == "Reader@example.org"
    confirm_link = link_in(mail)
    assert confirm_link == f"/follow/confirm#{subscription.token}"
    assert published.slug in mail_text(mail)

    # Nothing is mailed before confirmation.
    post_news(published, staff, title="Before confirming")
    assert len(sent_mail(app)) == 1

    # Opening the link (as a mail scanner does) changes nothing; the button confirms, sending
    # the token (which the page took from after the "#") in the body.
    path, token = split_link(confirm_link)
    page = client.get(path)
    assert page.status_code == 200 and "Yes, send me the news" in page_text(page)
    assert 'name="token"' in page_text(page) and "js/link-token.js" in page_text(page)
    assert only_subscription().confirmed_at is None
    confirmed = client.post(path, data={"token": token})
    assert confirmed.status_code == 200 and "You follow this appeal" in page_text(confirmed)
    assert published.slug in page_text(confirmed)  # the way back to the appeal
    assert only_subscription().confirmed_at is not None

    post_news(published, staff, title="After confirming")
    subjects = [str(m["Subject"]) for m in sent_mail(app)]
    assert subjects[-1] == "News: After confirming"
    assert not any("Before confirming" in s for s in subjects)


def test_the_answer_is_the_same_for_a_known_address_and_nothing_is_duplicated(
    app, client, published
):
    first = follow(client, published)
    subscription = only_subscription()
    subscriptions.confirm_subscription(subscription.token)
    db.session.commit()
    again = follow(client, published, email=" reader@EXAMPLE.org ")
    assert (first.status_code, first.headers["Location"]) == (
        again.status_code,
        again.headers["Location"],
    )
    assert subscription_count() == 1
    assert len(sent_mail(app)) == 1  # no second link within a day
    assert only_subscription().confirmed_at is not None  # still following


def test_a_repeated_request_within_a_day_sends_no_second_mail(app, browser, published):
    for n in range(5):
        response = follow(browser(), published, email=READER if n % 2 else READER.upper())
        assert response.status_code == 303
        assert response.headers["Location"] == f"/appeals/{published.slug}/follow/sent"
    assert len(sent_mail(app)) == 1
    assert subscription_count() == 1

    # A day later the link may be sent again (the first one may have been lost).
    subscription = only_subscription()
    subscription.confirmation_sent_at -= timedelta(days=1, seconds=1)
    db.session.commit()
    assert follow(browser(), published).status_code == 303
    mails = sent_mail(app)
    assert len(mails) == 2
    assert link_in(mails[0]) == link_in(mails[1])
    # Another address is not held back by the first one.
    assert follow(browser(), published, email="other.reader@example.org").status_code == 303
    assert len(sent_mail(app)) == 3


def test_following_again_after_unsubscribing_gets_its_link_at_once(app, published):
    subscription = subscriptions.subscribe(published, READER, "en")
    db.session.commit()
    subscriptions.unsubscribe(subscription.token)
    db.session.commit()
    subscriptions.subscribe(published, READER, "en")
    db.session.commit()
    assert len(sent_mail(app)) == 2


def test_a_bad_address_is_a_400_with_a_message_and_no_row(app, client, published):
    cases = [
        ("not-an-address", "Enter a valid e-mail address"),
        ("", "Enter your e-mail address."),
        ("a" * 250 + "@example.org", "at most 254 characters"),
    ]
    for email, message in cases:
        response = follow(client, published, email=email)
        assert response.status_code == 400, email
        assert message in page_text(response), email
    assert subscription_count() == 0
    assert sent_mail(app) == []
    with pytest.raises(FollowError, match="254"):
        subscriptions.subscribe(published, "a" * 300 + "@example.org", "en")


def test_unsubscribe_stops_the_mail_and_forgets_the_address(app, client, published, staff):
    subscription = subscriptions.subscribe(published, READER, "en")
    db.session.commit()
    subscriptions.confirm_subscription(subscription.token)
    db.session.commit()
    post_news(published, staff, title="First news")
    (news,) = [m for m in sent_mail(app) if "First news" in str(m["Subject"])]
    assert f"http://ngo.test/follow/unsubscribe#{subscription.token}" in mail_text(news)
    one_click = f"http://ngo.test/follow/{subscription.token}/unsubscribe"
    assert news["List-Unsubscribe"] == f"<{one_click}>"
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = client.get("/follow/unsubscribe")
    assert page.status_code == 200 and "Stop the e-mails" in page_text(page)
    assert only_subscription().unsubscribed_at is None
    response = client.post("/follow/unsubscribe", data={"token": subscription.token})
    assert response.status_code == 200 and "No more e-mails" in page_text(response)
    subscription = only_subscription()
    assert subscription.unsubscribed_at is not None
    assert subscription.email == ""

    post_news(published, staff, title="Second news")
    assert not any("Second news" in str(m["Subject"]) for m in sent_mail(app))
    # The old confirmation link does not start it again.
    client.post("/follow/confirm", data={"token": subscription.token})
    assert only_subscription().unsubscribed_at is not None


def test_following_again_after_unsubscribing_needs_a_new_confirmation(published):
    subscription = subscriptions.subscribe(published, READER, "en")
    subscriptions.confirm_subscription(subscription.token)
    subscriptions.unsubscribe(subscription.token)
    db.session.commit()
    again = subscriptions.subscribe(published, READER, "pl")
    db.session.commit()
    assert again.id == subscription.id
    assert (again.confirmed_at, again.unsubscribed_at) == (None, None)
    assert (again.email, again.language) == ("Reader@example.org", "pl")


class TestWithCsrfProtection:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_mail_programs_unsubscribe_with_one_click(self, client, published):
        subscription = subscriptions.subscribe(published, READER, "en")
        subscriptions.confirm_subscription(subscription.token)
        db.session.commit()
        response = client.post(
            f"/follow/{subscription.token}/unsubscribe",
            data={"List-Unsubscribe": "One-Click"},
        )
        assert response.status_code == 200
        assert only_subscription().unsubscribed_at is not None

    def test_the_public_form_needs_no_token_but_confirmation_does(self, client, published):
        assert follow(client, published).status_code == 303
        token = only_subscription().token
        for path in ("/follow/confirm", "/follow/unsubscribe"):
            response = client.post(path, data={"token": token})
            assert response.status_code == 400
        subscription = only_subscription()
        assert (subscription.confirmed_at, subscription.unsubscribed_at) == (None, None)


def test_a_post_from_another_site_is_refused(client, published):
    response = follow(client, published, **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "sent from another website" in page_text(response)
    assert subscription_count() == 0
    assert follow(client, published, **{"Sec-Fetch-Site": "same-origin"}).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page-with-a-hidden-form"},
        {"Referer": "http://localhost:8080/"},  # another port is another site
        {"Origin": "https://evil.example", "Referer": "http://localhost/appeals"},
    ],
)
def test_without_fetch_metadata_origin_or_referer_decide(client, published, headers):
    response = follow(client, published, **headers)
    assert response.status_code == 403
    assert "sent from another website" in page_text(response)
    assert subscription_count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a plain client (curl, a mail program): nothing to tell
        {"Origin": "http://localhost"},
        {"Origin": "http://ngo.test"},  # NGO_BASE_URL, whatever Host the proxy passed on
        {"Referer": "http://localhost/appeals"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example"},
    ],
)
def test_posts_from_this_site_or_no_browser_are_accepted(client, published, headers):
    assert follow(client, published, **headers).status_code == 303
    assert subscription_count() == 1


def test_unknown_tokens_appeals_and_unlisted_appeals(client, published, staff):
    for token in ("nothing", "x" * 60):
        for path in ("/follow/confirm", "/follow/unsubscribe"):
            assert client.post(path, data={"token": token}).status_code == 404
        assert client.post(f"/follow/{token}/unsubscribe").status_code == 404
    for path in ("/follow/confirm", "/follow/unsubscribe"):
        response = client.post(path, data={"token": ""})
        assert response.status_code == 400
        assert "comes after the # sign" in page_text(response)
    assert (
        client.post("/appeals/nosuchappeal/follow", data={"follow-email": READER}).status_code
        == 404
    )
    assert client.post("/appeals/" + "x" * 100 + "/follow").status_code == 404

    services.return_to_draft(published, actor=staff["admin"])
    db.session.commit()
    assert follow(client, published).status_code == 410
    assert subscription_count() == 0
    with pytest.raises(FollowError):
        subscriptions.subscribe(published, READER, "en")


def test_following_is_rate_limited(client, published):
    for n in range(10):
        assert follow(client, published, email=f"r{n}@example.org").status_code == 303
    assert follow(client, published, email="r10@example.org").status_code == 429
    assert subscription_count() == 10


def test_the_follow_form_partial_renders_for_the_appeal_page(app, published):
    from flask import render_template_string

    from ngo.public.forms import FollowForm

    with app.test_request_context("/"):
        html = render_template_string(
            '{% include "campaigns/_follow_form.html" %}',
            appeal=published,
            follow_form=FollowForm(),
        )
    assert f'action="/appeals/{published.slug}/follow"' in html
    assert 'id="follow-email"' in html and 'for="follow-email"' in html
    assert "csrf" not in html and "<script" not in html and "style=" not in html
