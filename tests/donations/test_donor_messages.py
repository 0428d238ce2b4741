"""The donor's message: the treasurer reads it on the gift's page, with what the safety check
says of it now (the look is audited), the list says which gifts carry one, and no public page
ever shows it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.extensions import db
from tests.conftest import login

MESSAGE = "Wishing the whole family a calm winter in the new flat"


@pytest.fixture
def treasurer_client(client, staff):
    login(client, staff["treasurer"])
    return client


def viewed_messages() -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "donation.message_viewed")
    )


def test_the_treasurer_reads_the_message_and_that_it_passes_the_check(
    treasurer_client, appeal, give
):
    donation = give(5_000, message=MESSAGE)
    give(2_000)  # no message
    listing = treasurer_client.get("/treasury/donations/").get_data(as_text=True)
    assert listing.count("Read on the gift") == 1
    assert MESSAGE not in listing  # the list only says there is one
    assert viewed_messages() == 0
    page = treasurer_client.get(f"/treasury/donations/gifts/{donation.public_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert MESSAGE in text
    assert "Passes the safety check." in text
    assert "never shown on a public page" in text
    assert viewed_messages() == 1


def test_a_message_the_check_now_refuses_is_marked(treasurer_client, appeal, give):
    # Stored before the person's phone number was one of their private values (the form
    # refuses it today): the page says the check finds something in it now.
    donation = give(5_000, message="Call him on +48 600 100 200")
    text = treasurer_client.get(f"/treasury/donations/gifts/{donation.public_id}").get_data(
        as_text=True
    )
    assert "The safety check now finds private details about the person in it." in text
    assert "Passes the safety check." not in text


def test_no_public_page_shows_the_message(client, appeal, give):
    give(5_000, message=MESSAGE, display_name="Anna")
    for path in (f"/appeals/{appeal.slug}", f"/appeals/{appeal.slug}/ledger", "/appeals"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "calm winter" not in response.get_data(as_text=True), path


def test_other_staff_without_the_donations_right_do_not_see_it(client, staff, give):
    donation = give(5_000, message=MESSAGE)
    login(client, staff["caseworker"])
    response = client.get(f"/treasury/donations/gifts/{donation.public_id}")
    assert response.status_code in (403, 404)
    assert "calm winter" not in response.get_data(as_text=True)
