"""Following an appeal by e-mail: double opt-in, no enumeration, one-click unsubscribe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ngo.campaigns import services, subscriptions
from ngo.campaigns.models import UpdateSubscription
from ngo.campaigns.subscriptions import FollowError
from ngo.crypto import blind_index
from ngo.extensions import db
from tests.campaigns import appeal_fixtures
from tests.conftest import link_in, mail_text, sent_mail
from tests.helpers import page_text

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
    confirm_path = link_in(mail)
    assert confirm_path == f"/follow/{subscription.token}/confirm"
    assert published.slug in mail_text(mail)

    # Nothing is mailed before confirmation.
    post_news(published, staff, title="Before confirming")
    assert len(sent_mail(app)) == 1

    # Opening the link (as a mail scanner does) changes nothing; the button confirms.
    page = client.get(confirm_path)
    assert page.status_code == 200 and "Yes, send me the news" in page_text(page)
    assert only_subscription().confirmed_at is None
    confirmed = client.post(confirm_path)
    assert confirmed.status_code == 200 and "You follow this appeal" in page_text(confirmed)
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
    mails = sent_mail(app)
    assert len(mails) == 2  # the link is sent again
    assert link_in(mails[0]) == link_in(mails[1])
    assert only_subscription().confirmed_at is not None  # still following


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
    unsubscribe_path = f"/follow/{subscription.token}/unsubscribe"
    assert f"http://ngo.test{unsubscribe_path}" in mail_text(news)

    page = client.get(unsubscribe_path)
    assert page.status_code == 200 and "Stop the e-mails" in page_text(page)
    assert only_subscription().unsubscribed_at is None
    response = client.post(unsubscribe_path)
    assert response.status_code == 200 and "No more e-mails" in page_text(response)
    subscription = only_subscription()
    assert subscription.unsubscribed_at is not None
    assert subscription.email == ""

    post_news(published, staff, title="Second news")
    assert not any("Second news" in str(m["Subject"]) for m in sent_mail(app))
    # The old confirmation link does not start it again.
    client.post(f"/follow/{subscription.token}/confirm")
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
        response = client.post(f"/follow/{only_subscription().token}/confirm")
        assert response.status_code == 400
        assert only_subscription().confirmed_at is None


def test_a_post_from_another_site_is_refused(client, published):
    response = follow(client, published, **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert subscription_count() == 0
    assert follow(client, published, **{"Sec-Fetch-Site": "same-origin"}).status_code == 303


def test_unknown_tokens_appeals_and_unlisted_appeals(client, published, staff):
    for path in (
        "/follow/nothing/confirm",
        "/follow/nothing/unsubscribe",
        "/follow/" + "x" * 60 + "/confirm",
    ):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
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

    from ngo.campaigns.forms_public import FollowForm

    with app.test_request_context("/"):
        html = render_template_string(
            '{% include "campaigns/_follow_form.html" %}',
            appeal=published,
            follow_form=FollowForm(),
        )
    assert f'action="/appeals/{published.slug}/follow"' in html
    assert 'id="follow-email"' in html and 'for="follow-email"' in html
    assert "csrf" not in html and "<script" not in html and "style=" not in html
