"""The permission table: every role against every Action of the policy, answered by
`policy.may` itself; a few staff pages per role over HTTP; and organisation scope."""

from __future__ import annotations

import pytest

from ngo.accounts import policy
from ngo.accounts.models import Invitation, Membership, Role, User
from ngo.accounts.policy import Action
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login

ROLES = [r.value for r in Role]
A, C, V, T, F = "admin", "caseworker", "verifier", "treasurer", "funder"
EVERYONE = {A, C, V, T, F}

# Who may do what, written out once more on purpose: a change to policy.ROLE_PERMISSIONS must
# be a change here too. Treasurers and funders never see a beneficiary's personal data.
ALLOWED: dict[Action, set[str]] = {
    Action.VIEW_DASHBOARD: EVERYONE,
    Action.MANAGE_USERS: {A},
    Action.EDIT_ORGANISATION: {A},
    Action.VIEW_AUDIT_LOG: {A},
    Action.MANAGE_WORK: {A},
    Action.VIEW_CASES: {A, C, V},
    Action.EDIT_CASE: {A, C},
    Action.MANAGE_CONSENT: {A, C},
    Action.UPLOAD_EVIDENCE: {A, C},
    Action.DOWNLOAD_EVIDENCE: {A, C, V},
    Action.CHECK_EVIDENCE: {A, V},
    Action.WRITE_STORY: {A, C},
    Action.VERIFY_STORY: {A, V},
    Action.EXPORT_CASE: {A},
    Action.ERASE_CASE: {A},
    Action.EDIT_APPEAL: {A, C},
    Action.APPROVE_APPEAL: {A, V},
    Action.POST_UPDATE: {A, C},
    Action.MARK_UPDATE_URGENT: {A},
    Action.HANDLE_CONCERNS: {A, C, V},
    Action.RECORD_GIFT: {A, T},
    Action.APPROVE_GIFT: {A, T},
    Action.VIEW_DONATIONS: {A, T},
    Action.EXPORT_DONATIONS: {A, T},
    Action.DOWNLOAD_RECEIPT: {A, T},
    Action.REALLOCATE_FUNDS: {A, T},
    Action.EXPORT_DONOR: {A},
    Action.ERASE_DONOR: {A},
    Action.MANAGE_EXCHANGE_RATES: {A, T},
    Action.IMPORT_STATEMENTS: {T},
    Action.RECONCILE_STATEMENTS: {T},
    Action.RECORD_DISBURSEMENT: {A, T},
    Action.APPROVE_DISBURSEMENT: {A, T},
    Action.GENERATE_REPORT: {A, C, T},
    Action.MANAGE_FUNDERS: {A},
    # Only a funder's contacts have a portal: staff see the funders' pages instead.
    Action.VIEW_FUNDER_PORTAL: {F},
    # Not a role's: only platform administrators, whatever their role (below).
    Action.MANAGE_ORGANISATIONS: set(),
}


def _membership(role: str, organisation_id: int = 1, **user: object) -> Membership:
    """A membership that was never stored: the policy reads nothing from the database."""
    return Membership(role=role, organisation_id=organisation_id, user=User(**user))


def test_the_table_names_every_action():
    assert set(ALLOWED) == set(Action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_permission_table(role, action):
    assert policy.may(_membership(role), action) == (role in ALLOWED[action])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_a_record_of_another_organisation_is_out_of_every_role(role, action):
    elsewhere = Membership(role="admin", organisation_id=2)
    if action in policy.PLATFORM_ACTIONS:
        return  # not about a record of an organisation
    assert not policy.may(_membership(role), action, target=elsewhere)
    assert policy.may(_membership(role), action, target=_membership(A)) == (role in ALLOWED[action])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_a_suspended_membership_may_do_nothing(role, action):
    membership = _membership(role)
    membership.suspended_at = utcnow()
    assert not policy.may(membership, action)


@pytest.mark.parametrize("role", ROLES)
def test_only_platform_administrators_manage_organisations(role):
    assert policy.may(_membership(role, is_platform_admin=True), Action.MANAGE_ORGANISATIONS)
    assert not policy.may(_membership(role, is_platform_admin=False), Action.MANAGE_ORGANISATIONS)


# A few staff pages of each domain, over HTTP, for every role: (path, the action it needs).
SMOKE_PAGES = [
    ("/dashboard", Action.VIEW_DASHBOARD),
    ("/cases/", Action.VIEW_CASES),
    ("/cases/new", Action.EDIT_CASE),
    ("/cases/tasks/mine", Action.VIEW_CASES),
    ("/staff/appeals/", Action.VIEW_CASES),
    ("/staff/appeals/reviews", Action.VIEW_CASES),
    ("/staff/concerns", Action.HANDLE_CONCERNS),
    ("/admin/users", Action.MANAGE_USERS),
    ("/admin/audit", Action.VIEW_AUDIT_LOG),
    ("/admin/work", Action.MANAGE_WORK),
    ("/treasury/donations/", Action.VIEW_DONATIONS),
    ("/treasury/donations/appeals", Action.VIEW_DONATIONS),
    ("/admin/donors/", Action.EXPORT_DONOR),
]


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_answer_each_role_as_the_table_says(client, make_user, role):
    login(client, make_user(role))
    for path, action in SMOKE_PAGES:
        status = client.get(path).status_code
        assert status == (200 if role in ALLOWED[action] else 403), (role, path, status)


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
