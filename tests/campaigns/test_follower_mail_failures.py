"""A follower's mail server that refuses for good: noted on the follower (code only), the
other followers still get the news, no more is sent to that address, and staff see the count."""

from __future__ import annotations

from sqlalchemy import select

from ngo.campaigns import subscriptions
from ngo.campaigns.models import UpdateSubscription
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import publish_update
from tests.conftest import login
from tests.helpers import page_text
from tests.smtp_server import Inbox, smtp_server

published, sample_documents_once, staff, alexander = (
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
    appeal_fixtures.alexander,
)

GONE = "gone@example.org"
REFUSAL = f"550 5.1.1 <{GONE}>: Recipient address rejected"


def _follow(appeal, address):
    subscription = subscriptions.subscribe(appeal, address, "en")
    db.session.commit()
    subscriptions.confirm_subscription(subscription.token)
    db.session.commit()
    return subscription


def _message(kind):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    ).first()


def test_a_refused_follower_is_noted_and_the_others_get_the_news(app, client, published, staff):
    with smtp_server(Inbox(refuse={GONE: REFUSAL})) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        gone = _follow(published, GONE)
        kept = _follow(published, "reader@example.org")
        publish_update(published, staff["caseworker"], staff["admin"], title="Moved in")
        db.session.commit()
        news = [m for m in inbox.to("reader@example.org") if "Moved in" in str(m["Subject"])]
        assert len(news) == 1
        assert news[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        db.session.expire_all()
        assert gone.mail_failed_at is not None
        assert gone.mail_failure == "SMTP 550 recipient refused"
        assert kept.mail_failed_at is None
        # The update's message is sent: one refused address does not hold back the others.
        assert status_of(_message("campaigns.update_email")) == WorkStatus.SENT

        publish_update(published, staff["caseworker"], staff["admin"], title="School starts")
        db.session.commit()
    assert not [m for m in inbox.messages if m["To"] == GONE]  # nothing more is tried
    assert len(inbox.to("reader@example.org")) == 3  # confirmation link and two updates

    login(client, staff["caseworker"])
    page = page_text(client.get(f"/staff/appeals/{published.slug}"))
    assert "Followers who get the updates by e-mail: 1." in page
    assert "refused our e-mail for good: 1" in page
    assert GONE not in page


def test_a_refused_confirmation_link_is_noted_and_dead(app, published):
    with smtp_server(Inbox(refuse={GONE: REFUSAL})) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        subscription = subscriptions.subscribe(published, GONE, "en")
        db.session.commit()
    message = _message("campaigns.follow_confirmation_email")
    assert status_of(message) == WorkStatus.DEAD
    assert message.organisation_id == published.organisation_id
    assert GONE not in f"{message.last_error} {message.last_error_detail}"
    db.session.refresh(subscription)
    assert subscription.mail_failure == "SMTP 550 recipient refused"
    assert db.session.get(UpdateSubscription, subscription.id).mail_failed_at is not None
