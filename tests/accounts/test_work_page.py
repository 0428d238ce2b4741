"""The admin's page of the worker's work: scoped to the organisation, errors as stored (class
and safe message), Retry for failed and dead work only, audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ngo import outbox
from ngo.audit import AuditEvent
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import current_totp, login
from tests.helpers import page_text

ran: list[dict[str, Any]] = []


def _run(payload: dict[str, Any]) -> None:
    ran.append(payload)


@pytest.fixture(autouse=True)
def _handler(app):
    outbox.register_handler(app, "test.work_page", _run)
    ran.clear()


def _row(organisation_id: int | None, **state: Any) -> OutboxMessage:
    message = OutboxMessage(
        kind="test.work_page", payload={"n": 1}, organisation_id=organisation_id, **state
    )
    db.session.add(message)
    db.session.flush()
    return message


def _failed(organisation_id: int | None) -> OutboxMessage:
    return _row(
        organisation_id,
        attempts=2,
        failed_at=utcnow(),
        due_at=utcnow() + timedelta(minutes=5),
        last_error="TemporaryDeliveryError",
        last_error_detail="SMTP 451",
    )


def _dead(organisation_id: int | None) -> OutboxMessage:
    return _row(
        organisation_id,
        attempts=1,
        failed_at=utcnow(),
        dead_at=utcnow(),
        last_error="PermanentDeliveryError",
        last_error_detail="SMTP 550 recipient refused",
    )


def test_the_admin_sees_the_organisations_work_by_status(client, admin, organisation):
    other = factories.OrganisationFactory()
    queued, running = _row(organisation.id), _row(organisation.id, claimed_at=utcnow())
    failed, dead = _failed(organisation.id), _dead(organisation.id)
    hidden = [_failed(other.id), _failed(None)]
    login(client, admin)
    response = client.get("/admin/work")
    assert response.status_code == 200
    page = page_text(response)
    assert "Background work" in page  # in the navigation too
    assert "Queued (1)" in page and "Running (1)" in page
    assert "Failed, will be tried again (1)" in page
    assert "Dead: will not be tried again unless retried (1)" in page
    assert "<code>TemporaryDeliveryError</code> SMTP 451" in page
    assert "<code>PermanentDeliveryError</code> SMTP 550 recipient refused" in page
    html = response.get_data(as_text=True)
    assert html.count("/retry") == 2
    for message in (queued, running, failed, dead):
        assert f"<td>{message.id}</td>" in html
    for message in hidden:
        assert f"<td>{message.id}</td>" not in html


def test_retry_runs_dead_work_again_and_is_audited(client, admin, organisation):
    dead = _dead(organisation.id)
    login(client, admin)
    response = client.post(f"/admin/work/{dead.id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    assert status_of(db.session.get(OutboxMessage, dead.id)) == WorkStatus.SENT
    assert ran == [{"n": 1}]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox.retried")
    ).one()
    assert (event.actor_id, event.organisation_id) == (admin.id, organisation.id)
    assert event.object_id == str(dead.id)
    assert event.details == {
        "kind": "test.work_page",
        "was": "dead",
        "error": "PermanentDeliveryError",
    }


def test_only_failed_or_dead_work_of_the_own_organisation_can_be_retried(
    client, admin, organisation
):
    other_organisations = _dead(factories.OrganisationFactory().id)
    account_mail = _dead(None)
    sent = _row(organisation.id, sent_at=utcnow())
    login(client, admin)
    assert client.post(f"/admin/work/{other_organisations.id}/retry").status_code == 404
    assert client.post(f"/admin/work/{account_mail.id}/retry").status_code == 404
    response = client.post(f"/admin/work/{sent.id}/retry", follow_redirects=True)
    assert "Only failed or dead work can be retried" in page_text(response)
    assert ran == []
    assert (
        db.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "outbox.retried")).all()
        == []
    )


def test_a_platform_admin_also_sees_account_mail(client, make_user, organisation):
    platform_admin = make_user("admin", is_platform_admin=True)
    account_mail = _failed(None)
    login(client, platform_admin)
    assert f"<td>{account_mail.id}</td>" in client.get("/admin/work").get_data(as_text=True)


@pytest.mark.parametrize("role", ["caseworker", "verifier", "treasurer", "funder"])
def test_other_roles_may_not_see_or_retry_work(client, make_user, organisation, role):
    dead = _dead(organisation.id)
    login(client, make_user(role))
    assert client.get("/admin/work").status_code == 403
    assert client.post(f"/admin/work/{dead.id}/retry").status_code == 403


def test_the_dashboard_counts_failed_and_dead_work_for_admins(
    client, admin, make_user, organisation
):
    _failed(organisation.id), _dead(organisation.id), _dead(organisation.id)
    _dead(None)  # account mail: not this admin's
    login(client, admin)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "1 failed item, to be tried again" in page
    assert "2 dead items, waiting for you" in page
    other = client.application.test_client()
    login(other, make_user("caseworker"))
    assert "dead item" not in other.get("/dashboard").get_data(as_text=True)


class TestRetryNeedsTheFormsToken:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def _token(client, path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def test_a_retry_without_the_token_changes_nothing(self, client, admin, organisation):
        dead = _dead(organisation.id)
        token = self._token(client, "/login")
        client.post(
            "/login",
            data={"email": admin.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        db.session.refresh(admin)
        token = self._token(client, "/login/two-factor")
        client.post("/login/two-factor", data={"code": current_totp(admin), "csrf_token": token})
        assert client.post(f"/admin/work/{dead.id}/retry").status_code == 400
        db.session.expire_all()
        assert status_of(db.session.get(OutboxMessage, dead.id)) == WorkStatus.DEAD
        token = self._token(client, "/admin/work")
        response = client.post(f"/admin/work/{dead.id}/retry", data={"csrf_token": token})
        assert response.status_code == 302
        db.session.expire_all()
        assert status_of(db.session.get(OutboxMessage, dead.id)) == WorkStatus.SENT
