"""An account that belongs to two organisations: an admin of one may not lock it, unlock it or
reset its second factor, only suspend the membership in their own organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ngo.accounts import policy, services
from ngo.accounts.models import Membership, User
from ngo.accounts.services import AccountError
from ngo.audit import AuditEvent
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.helpers import page_text

REFUSAL = "also belongs to an organisation you do not administer"


@pytest.fixture
def other_organisation():
    return factories.OrganisationFactory(name="Another NGO")


@pytest.fixture
def shared(organisation, other_organisation) -> User:
    """A caseworker of both organisations."""
    user = factories.UserFactory(role="caseworker", organisation=other_organisation)
    db.session.add(Membership(user=user, organisation=organisation, role="caseworker"))
    db.session.commit()
    return user


def fresh(user: User) -> User:
    db.session.refresh(user)
    return user


def membership_in(user: User, organisation) -> Membership:
    db.session.expire_all()
    return db.session.scalars(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    ).one()


@pytest.mark.parametrize("operation", ["lock", "unlock", "reset-two-factor"])
def test_an_admin_of_one_organisation_cannot_act_on_the_whole_account(
    admin_client, shared, operation
):
    shared.locked_at = None if operation != "unlock" else shared.created_at
    db.session.commit()
    before = (shared.locked_at, shared.totp_secret, shared.session_version)

    response = admin_client.post(f"/admin/users/{shared.id}/{operation}")

    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"])
    assert REFUSAL in page_text(page)
    shared = fresh(shared)
    assert (shared.locked_at, shared.totp_secret, shared.session_version) == before
    actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert not actions & {"user.locked", "user.unlocked", "user.second_factor_reset"}


def test_the_page_shows_only_what_is_possible_and_why(admin_client, shared, make_user):
    page = page_text(admin_client.get(f"/admin/users/{shared.id}"))
    assert REFUSAL in page
    assert "/lock" not in page and "/reset-two-factor" not in page and "/unlock" not in page
    assert f"/admin/users/{shared.id}/suspend" in page

    own = make_user("caseworker")
    page = page_text(admin_client.get(f"/admin/users/{own.id}"))
    assert REFUSAL not in page
    assert f"/admin/users/{own.id}/lock" in page
    assert f"/admin/users/{own.id}/reset-two-factor" in page


def test_an_admin_of_every_organisation_of_the_account_may(
    client, organisation, other_organisation, shared, admin
):
    db.session.add(Membership(user=admin, organisation=other_organisation, role="admin"))
    db.session.commit()
    login(client, admin)

    response = client.post(f"/admin/users/{shared.id}/lock")

    assert response.status_code == 302
    assert fresh(shared).locked_at is not None


def test_the_rule_is_one_policy_function(app, organisation, other_organisation, shared, admin):
    assert REFUSAL in policy.account_action_refusal(admin, shared)
    assert policy.account_action_refusal(None, shared) is None  # the operator, on the CLI
    assert "your own account" in policy.account_action_refusal(admin, admin)
    with pytest.raises(AccountError, match=REFUSAL):
        services.reset_second_factor(shared, actor=admin, organisation_id=organisation.id)
    # A suspended admin membership administers nothing.
    db.session.add(Membership(user=admin, organisation=other_organisation, role="admin"))
    db.session.commit()
    assert policy.account_action_refusal(admin, shared) is None
    membership_in(admin, other_organisation).suspended_at = shared.created_at
    db.session.commit()
    assert REFUSAL in policy.account_action_refusal(fresh(admin), shared)


def test_suspending_a_membership_stops_it_acting_in_that_organisation_only(
    admin_client, browser, organisation, other_organisation, shared
):
    shared_client = browser()
    login(shared_client, shared)
    assert shared_client.post(f"/account/organisation/{organisation.id}").status_code == 302
    assert shared_client.get("/cases/").status_code == 200

    response = admin_client.post(f"/admin/users/{shared.id}/suspend")

    assert response.status_code == 302
    assert membership_in(shared, organisation).is_suspended
    assert not membership_in(shared, other_organisation).is_suspended
    assert fresh(shared).locked_at is None
    # This organisation's records are out of reach; the other organisation still works.
    assert shared_client.get("/cases/").status_code == 200
    assert policy.choose_membership(fresh(shared), organisation.id).organisation_id == (
        other_organisation.id
    )
    assert not policy.may(membership_in(shared, organisation), policy.Action.VIEW_CASES)
    assert shared_client.post(f"/account/organisation/{organisation.id}").status_code == 404
    assert "suspended by its administrators" in page_text(shared_client.get("/dashboard"))
    page = page_text(admin_client.get("/admin/users"))
    assert "suspended" in page
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(shared.id))
        )
    ]
    assert "membership.suspended" in actions

    assert admin_client.post(f"/admin/users/{shared.id}/reinstate").status_code == 302
    assert not membership_in(shared, organisation).is_suspended


def test_a_member_of_one_organisation_only_with_a_suspended_membership_can_do_nothing(
    admin_client, browser, make_user
):
    member = make_user("caseworker")
    member_client = browser()
    login(member_client, member)
    admin_client.post(f"/admin/users/{member.id}/suspend")

    assert member_client.get("/cases/").status_code == 403
    assert member_client.get("/dashboard").status_code == 403


def test_an_admin_cannot_suspend_themselves_nor_the_last_active_admin(
    admin_client, admin, organisation, make_user
):
    response = admin_client.post(f"/admin/users/{admin.id}/suspend")
    assert "You cannot suspend your own membership." in page_text(
        admin_client.get(response.headers["Location"])
    )
    assert not membership_in(admin, organisation).is_suspended

    second = make_user("admin")
    services.suspend_membership(second.memberships[0], actor=admin)
    db.session.commit()
    with pytest.raises(AccountError, match="at least one administrator"):
        services.suspend_membership(membership_in(admin, organisation), actor=second)
    db.session.rollback()


def test_the_last_admin_rule_counts_only_admins_who_can_act(app, admin, make_user):
    second = make_user("admin")
    services.suspend_membership(second.memberships[0], actor=admin)
    db.session.commit()
    with pytest.raises(AccountError, match="at least one administrator"):
        services.remove_membership(fresh(admin).memberships[0], actor=second)
    db.session.rollback()


# The operator's commands -----------------------------------------------------------------


def test_the_operator_locks_and_resets_a_shared_account(app, shared):
    runner = app.test_cli_runner()

    locked = runner.invoke(args=["lock-user", shared.email.upper()])
    assert locked.exit_code == 0, locked.output
    assert fresh(shared).locked_at is not None
    again = runner.invoke(args=["lock-user", shared.email])
    assert again.exit_code == 0 and "already locked" in again.output

    reset = runner.invoke(args=["reset-2fa", shared.email])
    assert reset.exit_code == 0, reset.output
    assert not fresh(shared).has_second_factor

    unlocked = runner.invoke(args=["unlock-user", shared.email])
    assert unlocked.exit_code == 0, unlocked.output
    assert fresh(shared).locked_at is None
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert events[-3:] == ["user.locked", "user.second_factor_reset", "user.unlocked"]
    assert shared.email not in str([e.details for e in db.session.scalars(select(AuditEvent))])


@pytest.mark.parametrize("command", ["lock-user", "unlock-user", "reset-2fa"])
def test_an_unknown_address_is_a_clear_error(app, command):
    result = app.test_cli_runner().invoke(args=[command, "nobody@example.org"])
    assert result.exit_code == 1
    assert "No account uses this e-mail address." in result.output
