"""End to end through a real Celery worker process, PostgreSQL, Redis and an SMTP server.

Run by `make test-services` (CI); skipped by `make test`, which needs no service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from ngo import outbox
from ngo.accounts import invitations, password_reset
from ngo.accounts.models import Role
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from tests.campaigns import appeal_fixtures
from tests.conftest import SERVICES, TEST_BROKER_URL, TEST_DATABASE_URL, TEST_KEYS, mail_text
from tests.smtp_server import Inbox, smtp_server

# One worker process (and one Celery worker) runs the whole module under pytest-xdist: the
# Celery worker is module-scoped and takes seconds to start.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("celery_worker")]

# Fixtures shared with the other tests of published appeals.
alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def celery_worker(
    smtp: tuple[Inbox, int], tmp_path_factory: pytest.TempPathFactory, migrated_test_database
) -> Iterator[subprocess.Popen]:
    if not SERVICES:
        pytest.skip("needs NGO_TEST_DATABASE_URL and NGO_TEST_BROKER_URL")
    redis.Redis.from_url(TEST_BROKER_URL).flushdb()  # no stale tasks from an earlier run
    instance = tmp_path_factory.mktemp("worker-instance")
    log_path = Path(instance) / "worker.log"
    env = {
        **os.environ,
        "NGO_ENV": "testing",
        "NGO_INSTANCE_PATH": str(instance),
        "DATABASE_URL": TEST_DATABASE_URL,
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "MAIL_URL": f"smtp://127.0.0.1:{smtp[1]}",
        **TEST_KEYS,
        "NGO_BASE_URL": "http://ngo.test",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "-l", "INFO"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"CELERY_TASK_ALWAYS_EAGER": False}


def test_invitation_email_is_sent_by_the_worker(app, client, celery_worker, smtp, admin):
    inbox, _port = smtp
    organisation = admin.memberships[0].organisation
    invitation = invitations.invite_user(
        organisation, "worker.test@example.org", Role.VERIFIER, locale="uk", actor=admin
    )
    db.session.commit()  # the after-commit hook hands the outbox message to Redis
    message = inbox.wait_for("worker.test@example.org")
    link = mail_text(message).split("http://ngo.test", 1)[1].split()[0]
    assert client.get(link).status_code == 200
    db.session.expire_all()
    # Not by id: PostgreSQL's sequences do not roll back with the tests before this one.
    sent = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert invitation.accepted_at is None


def test_relay_hands_over_what_the_commit_hook_missed(app, celery_worker, smtp, make_user):
    inbox, _port = smtp
    user = make_user("treasurer", email="relay.test@example.org")
    reset = password_reset.request_password_reset(user.email)
    # Drop the after-commit dispatch, as if the broker had been down at that moment.
    db.session.info.pop("outbox_committed")
    db.session.commit()
    message_row = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc())
    ).first()
    message_row.created_at = message_row.created_at.replace(year=2000)
    db.session.commit()
    outbox.relay_outbox_task.delay()
    message = inbox.wait_for("relay.test@example.org")
    assert "/password/reset#" in mail_text(message)
    db.session.refresh(reset)
    assert reset.used_at is None


def test_healthz_sees_postgres_and_redis(client, celery_worker):
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_a_follower_gets_an_update_through_the_worker_once(
    app, client, celery_worker, smtp, published, staff
):
    from ngo.campaigns import subscriptions, updates
    from ngo.campaigns.models import UpdateDelivery
    from ngo.cases.models import Beneficiary

    inbox, _port = smtp
    follower = "follower.test@example.org"
    subscription = subscriptions.subscribe(published, follower, "pl")
    db.session.commit()
    confirmation = mail_text(inbox.wait_for(follower))
    assert "/follow/confirm#" in confirmation
    subscriptions.confirm_subscription(subscription.token)
    db.session.commit()

    update = updates.draft_update(
        published,
        language="en",
        title="The family moved into the flat",
        body_markdown="The rent for three months is paid.",
        actor=staff["caseworker"],
    )
    digest = updates.submit_update(update, actor=staff["caseworker"])
    db.session.commit()
    updates.approve_update(update, approver=staff["admin"], digest=digest)
    db.session.commit()
    deadline = time.monotonic() + 30

    def update_mails() -> list:
        return [
            m
            for m in inbox.messages
            if m["To"] == follower and "The family moved into the flat" in mail_text(m)
        ]

    while time.monotonic() < deadline and not update_mails():
        time.sleep(0.3)
    time.sleep(1)  # a second copy, if the worker were to send one, would arrive by now
    assert len(update_mails()) == 1
    text = mail_text(update_mails()[0])
    assert f"http://ngo.test/appeals/{published.slug}" in text
    assert update_mails()[0]["List-Unsubscribe"].startswith("<http://ngo.test/follow/")
    person = db.session.get(Beneficiary, published.beneficiary_id)
    surname = person.legal_name.split()[-1]
    assert surname not in text and person.phone not in text
    db.session.expire_all()
    assert db.session.query(UpdateDelivery).count() == 1
