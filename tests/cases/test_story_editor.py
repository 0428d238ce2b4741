"""The story editor: tall enough for a life story, a preview as the public page renders it,
and the publication safety check's findings while writing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ngo.cases.models import StoryVersion
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.helpers import page_text


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker")


@pytest.fixture
def case(organisation):
    case = factories.BeneficiaryFactory(
        organisation=organisation, legal_name="Aliaksandr Zieltsar", public_name="Alexander"
    )
    db.session.commit()
    return case


def _versions() -> int:
    return db.session.scalar(select(func.count(StoryVersion.id))) or 0


def test_the_editor_is_tall_and_offers_a_preview(client, caseworker, case):
    login(client, caseworker)
    page = client.get(f"/cases/{case.reference}/story").get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", page)
    assert textarea is not None
    assert 'rows="25"' in textarea.group(0) and "story-editor" in textarea.group(0)
    assert re.search(
        r'<input[^>]*name="preview"[^>]*type="submit"|'
        r'<input[^>]*type="submit"[^>]*name="preview"',
        page,
    )


def test_a_preview_renders_the_markdown_and_the_findings_and_saves_nothing(
    client, caseworker, case
):
    login(client, caseworker)
    response = client.post(
        f"/cases/{case.reference}/story",
        data={
            "title": "Alexander's new start",
            "body": "He was **arrested** in 2021.\n\nZieltsar spent three years in prison.",
            "preview": "Preview",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>arrested</strong>" in page
    assert "as the public page will show it" in page
    assert "that would stop the appeal's publication" in page
    assert "<mark>Zieltsar</mark>" in page
    assert "in the text" in page
    assert _versions() == 0


def test_a_clean_preview_says_the_check_finds_nothing(client, caseworker, case):
    login(client, caseworker)
    page = client.post(
        f"/cases/{case.reference}/story",
        data={"title": "A new start", "body": "He needs help with the rent.", "preview": "1"},
    ).get_data(as_text=True)
    assert "The check finds no private details" in page
    assert _versions() == 0


def test_a_saved_draft_shows_the_findings_on_the_story_tab(client, caseworker, case):
    login(client, caseworker)
    saved = client.post(
        f"/cases/{case.reference}/story",
        data={"title": "Zieltsar's story", "body": "He needs help with the rent."},
    )
    assert saved.status_code == 302
    assert _versions() == 1
    page = page_text(client.get(f"/cases/{case.reference}/story"))
    assert "that would stop the appeal's publication" in page and "in the title" in page


def test_a_preview_of_bad_input_shows_the_form_errors(client, caseworker, case):
    login(client, caseworker)
    refused = client.post(
        f"/cases/{case.reference}/story", data={"title": "", "body": "", "preview": "1"}
    )
    assert refused.status_code == 400
    page = page_text(refused)
    assert "Give the story a title." in page and "Write the story." in page
    assert "as the public page will show it" not in page
    assert _versions() == 0


def test_only_writers_may_preview(client, make_user, case):
    login(client, make_user("verifier"))
    refused = client.post(
        f"/cases/{case.reference}/story",
        data={"title": "A title", "body": "Zieltsar", "preview": "1"},
    )
    assert refused.status_code == 403
    assert "Zieltsar" not in refused.get_data(as_text=True)
