"""The permission matrix: every role against every staff endpoint, and organisation scope."""

from __future__ import annotations

import pytest

from ngo.accounts import policy
from ngo.accounts.models import Invitation, Role
from ngo.accounts.policy import Action
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login

ROLES = [r.value for r in Role]

# (method, path template, allowed roles). {member} is another member of the same organisation.
STAFF_ENDPOINTS = [
    ("GET", "/dashboard", set(ROLES)),
    ("GET", "/admin/users", {"admin"}),
    ("GET", "/admin/users/invite", {"admin"}),
    ("GET", "/admin/users/{member}", {"admin"}),
    ("POST", "/admin/users/{member}/lock", {"admin"}),
    ("POST", "/admin/users/{member}/unlock", {"admin"}),
    ("POST", "/admin/users/{member}/reset-two-factor", {"admin"}),
    ("POST", "/admin/users/{member}/suspend", {"admin"}),
    ("POST", "/admin/users/{member}/reinstate", {"admin"}),
    ("POST", "/admin/users/{member}/role", {"admin"}),
    ("POST", "/admin/users/{member}/remove", {"admin"}),
    ("POST", "/admin/invitations/{invitation}/revoke", {"admin"}),
    ("GET", "/admin/organisation", {"admin"}),
    ("GET", "/admin/audit", {"admin"}),
    ("POST", "/admin/audit/verify", {"admin"}),
    ("GET", "/admin/organisations", set()),  # platform admins only, whatever their role
]


def _invitation(org) -> Invitation:
    invitation = Invitation(
        organisation=org,
        email="someone@example.org",
        role="caseworker",
        nonce="n",
        expires_at=utcnow().replace(year=utcnow().year + 1),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "allowed"), STAFF_ENDPOINTS)
def test_role_matrix(client, organisation, make_user, role, method, path, allowed):
    user = make_user(role)
    member = make_user("caseworker")
    invitation = _invitation(organisation)
    login(client, user)
    url = path.format(member=member.id, invitation=invitation.id)
    response = client.open(url, method=method, data={"role": "verifier"})
    if role in allowed:
        assert response.status_code in (200, 302), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url, response.status_code)


@pytest.mark.parametrize(("method", "path", "_allowed"), STAFF_ENDPOINTS)
def test_anonymous_is_sent_to_sign_in(client, organisation, make_user, method, path, _allowed):
    member = make_user("caseworker")
    url = path.format(member=member.id, invitation=_invitation(organisation).id)
    response = client.open(url, method=method)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/users/{member}"),
        ("POST", "/admin/users/{member}/lock"),
        ("POST", "/admin/users/{member}/unlock"),
        ("POST", "/admin/users/{member}/reset-two-factor"),
        ("POST", "/admin/users/{member}/suspend"),
        ("POST", "/admin/users/{member}/role"),
        ("POST", "/admin/users/{member}/remove"),
        ("POST", "/admin/invitations/{invitation}/revoke"),
        ("POST", "/account/organisation/{organisation}"),
    ],
)
def test_records_of_another_organisation_are_not_found(client, admin, method, path):
    other_org = factories.OrganisationFactory()
    stranger = factories.UserFactory(role="caseworker", organisation=other_org)
    invitation = _invitation(other_org)
    login(client, admin)
    url = path.format(member=stranger.id, invitation=invitation.id, organisation=other_org.id)
    response = client.open(url, method=method, data={"role": "admin"})
    assert response.status_code == 404
    db.session.refresh(stranger)
    assert stranger.locked_at is None
    assert stranger.memberships[0].role == "caseworker"
    db.session.refresh(invitation)
    assert invitation.revoked_at is None


def test_user_lists_show_only_the_acting_organisation(client, admin):
    other_org = factories.OrganisationFactory()
    factories.UserFactory(role="caseworker", organisation=other_org, display_name="Outsider")
    login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert admin.display_name in page
    assert "Outsider" not in page


def test_platform_admin_manages_organisations(client, make_user):
    platform_admin = make_user("caseworker", is_platform_admin=True)
    login(client, platform_admin)
    response = client.post(
        "/admin/organisations",
        data={"name": "New Partner", "admin_email": "boss@partner.example", "locale": "uk"},
    )
    assert response.status_code == 302
    assert "New Partner" in client.get("/admin/organisations").get_data(as_text=True)


def test_member_of_two_organisations_switches_scope(client, organisation, make_user):
    user = make_user("admin")
    second = factories.OrganisationFactory(name="Second")
    other_member = factories.UserFactory(role="caseworker", organisation=second)
    from ngo.accounts.models import Membership

    db.session.add(Membership(user=user, organisation=second, role="caseworker"))
    db.session.commit()
    login(client, user)
    assert client.get(f"/admin/users/{other_member.id}").status_code == 404
    assert client.post(f"/account/organisation/{second.id}").status_code == 302
    # In the second organisation the user is a caseworker: no user administration at all.
    assert client.get("/admin/users").status_code == 403


def test_policy_answers_without_a_request(app, organisation, make_user):
    verifier = make_user("verifier")
    membership = verifier.memberships[0]
    assert policy.may(membership, Action.VIEW_DASHBOARD)
    assert not policy.may(membership, Action.MANAGE_USERS)
    assert not policy.may(None, Action.VIEW_DASHBOARD)
    other = factories.OrganisationFactory()
    assert not policy.may(membership, Action.VIEW_DASHBOARD, target=other.memberships or other)
    assert policy.in_scope(membership, membership)


def test_last_admin_cannot_be_demoted_or_removed(client, admin):
    login(client, admin)
    client.post(f"/admin/users/{admin.id}/role", data={"role": "caseworker"})
    db.session.refresh(admin)
    assert admin.memberships[0].role == "admin"
