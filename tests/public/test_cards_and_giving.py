"""Every card names the organisation that runs the appeal (list, home, search and the
organisation's own page), and the call to give shows exactly when the donate form would take
a gift: campaigns' one rule (`ngo.campaigns.giving.open_for_gifts`), not a guess from the
appeal's status."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.campaigns import details, services
from ngo.campaigns.models import Appeal
from ngo.donations import giving
from ngo.extensions import db
from ngo.money import Money
from tests.campaigns.appeal_fixtures import (
    alexander,
    draft_appeal,
    other_organisation_appeal,
    publish,
    staff,
)
from tests.public.test_appeal_presentation import card_of, give, page_of

__all__ = ["alexander", "other_organisation_appeal", "staff"]  # fixtures used by name


def _organisation(appeal: Appeal) -> Organisation:
    return db.session.get(Organisation, appeal.organisation_id)


def _appeal(alexander, staff, *, policy: str = "stretch", stretch: bool = False) -> Appeal:
    """The seed appeal (one essential line of €2,100), with a stretch line of €500 if asked,
    under the over-funding policy `policy`, published through the real gate."""
    drafted = draft_appeal(alexander, staff)
    if stretch:
        services.add_budget_line(
            drafted,
            amount=Money(50_000, "EUR"),
            label="Retraining for the code 95 exam",
            language="en",
            essential=False,
            priority=2,
            actor=staff["caseworker"],
        )
    details.set_allocation(drafted, rule="priority", policy=policy, actor=staff["caseworker"])
    return publish(drafted, staff)


# Who runs the appeal -------------------------------------------------------------------------


def test_every_card_names_the_organisation_with_a_link_to_its_page(alexander, staff, client):
    appeal = _appeal(alexander, staff)
    organisation = _organisation(appeal)
    organisation.name = "Fundacja Wolni & Razem"
    db.session.commit()
    link = f'href="/organisations/{organisation.slug}">Fundacja Wolni &amp; Razem</a>'
    pages = ["/appeals", "/", "/appeals?q=Alexander", f"/organisations/{organisation.slug}"]
    for path in pages:
        card = card_of(page_of(client, path), appeal.slug)
        assert re.search(r'<p class="card-organiser">Run by <a ' + re.escape(link), card), path


def test_a_card_names_the_organisation_of_its_own_appeal(
    alexander, staff, client, other_organisation_appeal
):
    ours = _appeal(alexander, staff)
    theirs_name = _organisation(other_organisation_appeal).name
    ours_name = _organisation(ours).name
    assert theirs_name != ours_name
    page = page_of(client, "/appeals")
    assert ours_name in card_of(page, ours.slug)
    assert theirs_name not in card_of(page, ours.slug)
    assert theirs_name in card_of(page, other_organisation_appeal.slug)


# The call to give follows the donate form's rule ---------------------------------------------


def _gives(client, appeal: Appeal) -> tuple[bool, bool, bool]:
    """Whether the list's card, the home page's card and the appeal page offer to give."""
    list_card = card_of(page_of(client, "/appeals"), appeal.slug)
    home_card = card_of(page_of(client, "/"), appeal.slug)
    detail = page_of(client, f"/appeals/{appeal.slug}")
    donate = f'href="/appeals/{appeal.slug}/donate"'
    return donate in list_card, donate in home_card, donate in detail


@pytest.mark.parametrize(
    ("policy", "stretch", "gift_minor", "status", "open_"),
    [
        # Nothing given yet: open under every policy.
        ("stop", True, 0, "published", True),
        # The essential line funded: "stop" closes, "stretch" goes on into the stretch line.
        ("stop", True, 210_000, "published", False),
        ("stretch", True, 210_000, "published", True),
        # Every line funded: "stretch" closes, "general fund" keeps taking gifts.
        ("stretch", True, 260_000, "published", False),
        ("general_fund", True, 260_000, "published", True),
        # Marked funded by staff, still taking gifts for the general fund: the call stays.
        ("general_fund", False, 210_000, "funded", True),
        # Marked funded while its stretch line still needs money: the donate form takes it.
        ("stretch", True, 210_000, "funded", True),
        # Not marked funded, but nothing left to fund: no call to give.
        ("stretch", False, 210_000, "published", False),
    ],
)
def test_the_call_to_give_shows_when_the_donate_form_would_take_a_gift(
    alexander, staff, client, policy, stretch, gift_minor, status, open_
):
    appeal = _appeal(alexander, staff, policy=policy, stretch=stretch)
    if gift_minor:
        give(appeal, gift_minor)
    appeal.status = status
    db.session.commit()
    assert appeal.listed
    assert giving.open_for_gifts(appeal) is open_
    assert _gives(client, appeal) == (open_, open_, open_)
    detail = page_of(client, f"/appeals/{appeal.slug}")
    form = page_of(client, f"/appeals/{appeal.slug}/donate")
    assert ("not accepting gifts at the moment" in form) is not open_
    if not open_:
        list_card = card_of(page_of(client, "/appeals"), appeal.slug)
        if status == "funded":
            assert "tag-funded" in list_card and "Thank you" in unescape(detail)
        else:
            assert '<p class="card-actions card-closed">Fully funded</p>' in list_card
            assert "what it asked for is funded" in detail


def test_the_api_list_and_detail_keep_their_sums_with_the_lines_read_once(alexander, staff, client):
    appeal = _appeal(alexander, staff, stretch=True)
    give(appeal, 230_000)
    db.session.commit()
    listed = client.get("/api/v1/appeals").get_json()["data"]
    (summary,) = [a for a in listed if a["slug"] == appeal.slug]
    detail = client.get(f"/api/v1/appeals/{appeal.slug}").get_json()
    assert summary["funded_minor"] == detail["funded_minor"] == 230_000
    assert summary["spent_minor"] == detail["spent_minor"] == 0
    assert db.session.scalar(select(Appeal.raised_minor).where(Appeal.id == appeal.id)) == 230_000
