"""The staff menu: the pages the acting membership may open, grouped so that every role's
menu fits one line on a 1280-pixel screen.

Every role sees its own pages at the top level while they fit; a role with more pages than
fit (an admin) gets its money and administration pages folded into a menu each. The
template (base.html) renders the same entries twice: inline with <details> drop-downs on a
wide screen, and inside one <details> "Menu" on a phone; neither needs JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ngo.accounts.access import current_membership
from ngo.accounts.models import Membership
from ngo.accounts.policy import Action, may

# Top-level entries that fit one line at 1280 pixels in English beside the brand and the
# account menu (measured by tests/test_journeys_browser.py).
MOST_TOP_LEVEL = 8


@dataclass(frozen=True)
class Link:
    is_group = False  # for the template, which has no isinstance
    label: str
    endpoint: str
    action: Action

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


@dataclass(frozen=True)
class Group:
    """A named set of links: shown as a drop-down when folded, else as its links."""

    is_group = True
    key: str
    label: str
    links: tuple[Link, ...]
    folded: bool = field(default=False)

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


MenuEntry = Link | Group


def _group(key: str, label: str, *links: Link) -> Group:
    return Group(key, label, links)


# The order is the order on the screen. Labels are distinct: "Organisation settings" is the
# acting organisation's own page, "All organisations" the platform admin's list.
_MENU: tuple[MenuEntry, ...] = (
    Link(_l("Dashboard"), "dashboard.home", Action.VIEW_DASHBOARD),
    _group(
        "casework",
        _l("Casework"),
        Link(_l("Cases"), "cases.case_list", Action.VIEW_CASES),
        Link(_l("My tasks"), "cases.my_tasks", Action.VIEW_CASES),
        Link(_l("Appeals"), "appeals.appeal_list", Action.VIEW_CASES),
        Link(_l("Concerns"), "concerns.queue", Action.HANDLE_CONCERNS),
    ),
    _group(
        "money",
        _l("Money"),
        Link(_l("Donations"), "donations.donation_list", Action.VIEW_DONATIONS),
        Link(_l("Appeals' money"), "donations.appeal_index", Action.VIEW_DONATIONS),
        Link(_l("Payments out"), "disbursements.index", Action.RECORD_DISBURSEMENT),
        Link(_l("Bank statements"), "donations_treasury.statements", Action.IMPORT_STATEMENTS),
        Link(_l("Donors"), "donors.find_page", Action.EXPORT_DONOR),
        Link(_l("Exchange rates"), "donations_admin.exchange_rates", Action.MANAGE_EXCHANGE_RATES),
    ),
    _group(
        "administration",
        _l("Administration"),
        Link(_l("Users and invitations"), "admin.users", Action.MANAGE_USERS),
        Link(_l("Organisation settings"), "admin.organisation", Action.EDIT_ORGANISATION),
        Link(_l("Funders"), "funders_admin.funder_list", Action.MANAGE_FUNDERS),
        Link(_l("Audit log"), "admin.audit_log", Action.VIEW_AUDIT_LOG),
        Link(_l("Background work"), "admin.work", Action.MANAGE_WORK),
        Link(_l("All organisations"), "admin.organisations", Action.MANAGE_ORGANISATIONS),
    ),
    Link(_l("Funder portal"), "funder_portal.home", Action.VIEW_FUNDER_PORTAL),
)
# Folded first when the menu is too long: the groups a role visits least often.
_FOLD_ORDER = ("administration", "money", "casework")


def menu_for(membership: Membership | None) -> list[MenuEntry]:
    """The entries `membership` may open, folded until they fit `MOST_TOP_LEVEL`."""
    entries: list[MenuEntry] = []
    for entry in _MENU:
        if isinstance(entry, Link):
            if may(membership, entry.action):
                entries.append(entry)
            continue
        links = tuple(link for link in entry.links if may(membership, link.action))
        if links:
            entries.append(replace(entry, links=links))
    for key in _FOLD_ORDER:
        if _top_level(entries) <= MOST_TOP_LEVEL:
            break
        entries = [
            replace(e, folded=True) if isinstance(e, Group) and e.key == key else e for e in entries
        ]
    return entries


def _top_level(entries: list[MenuEntry]) -> int:
    # The account menu is always there, beside these.
    return 1 + sum(len(e.links) if isinstance(e, Group) and not e.folded else 1 for e in entries)


def staff_menu() -> list[MenuEntry]:
    if not current_user.is_authenticated:
        return []
    return menu_for(current_membership())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["staff_menu"] = staff_menu
