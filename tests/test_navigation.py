"""The staff menu (ngo/dashboard/navigation.py): each role's pages, few enough at the top
level to fit one line, with names that cannot be mistaken for each other; rendered twice (wide
and phone) and working without script. Its width in a real browser is measured by
tests/test_journeys_browser.py."""

from __future__ import annotations

import pytest

from ngo.accounts.models import Role
from ngo.accounts.policy import may
from ngo.dashboard.navigation import MOST_TOP_LEVEL, Group, Link, menu_for
from tests.conftest import login


def _top_level(entries: list[Link | Group]) -> list[str]:
    shown: list[str] = []
    for entry in entries:
        if isinstance(entry, Group) and not entry.folded:
            shown += [str(link.label) for link in entry.links]
        else:
            shown.append(str(entry.label))
    return [*shown, "Account"]


def _every_link(entries: list[Link | Group]) -> list[Link]:
    return [
        link
        for entry in entries
        for link in (entry.links if isinstance(entry, Group) else (entry,))
    ]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_pages_on_one_line(app, make_user, role):
    user = make_user(role.value, is_platform_admin=role is Role.ADMIN)
    (membership,) = user.memberships
    with app.test_request_context():
        entries = menu_for(membership)
        top_level = _top_level(entries)
        links = _every_link(entries)
    assert len(top_level) <= MOST_TOP_LEVEL, top_level
    assert all(may(membership, link.action) for link in links)
    labels = [str(link.label) for link in links]
    assert len(labels) == len(set(labels)), labels


def test_a_treasurer_sees_the_money_pages_unfolded_and_an_admin_folded(app, make_user):
    treasurer = make_user(Role.TREASURER.value).memberships[0]
    admin = make_user(Role.ADMIN.value, is_platform_admin=True).memberships[0]
    with app.test_request_context():
        treasurer_top = _top_level(menu_for(treasurer))
        admin_entries = menu_for(admin)
    assert {"Donations", "Payments out", "Bank statements"} <= set(treasurer_top)
    assert _top_level(admin_entries) == [
        "Dashboard",
        "Cases",
        "My tasks",
        "Appeals",
        "Concerns",
        "Money",
        "Administration",
        "Account",
    ]
    administration = next(
        e for e in admin_entries if isinstance(e, Group) and e.key == "administration"
    )
    labels = [str(link.label) for link in administration.links]
    # One organisation's own settings, and the platform's list: named apart.
    assert "Organisation settings" in labels and "All organisations" in labels
    assert "Organisation" not in labels and "Organisations" not in labels


def test_the_menu_is_rendered_for_wide_screens_and_phones_without_script(client, make_user):
    admin = make_user(Role.ADMIN.value)
    login(client, admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert html.count('class="staff-menu"') == 2
    assert '<details class="site-menu narrow-only">' in html
    assert html.count('name="staff-menu"') == 3  # the wide copy's drop-downs close each other
    assert html.count('href="/admin/users" aria-current="page"') == 2
    assert "<script" not in html
    assert "Users and invitations" in html


def test_readers_get_the_public_menu(client):
    html = client.get("/").get_data(as_text=True)
    assert 'class="staff-menu"' not in html
    assert "Staff sign-in" in html
