"""Search that finds people's public names in any script: the demo's seed appeal (Alexander,
written in English) by its Belarusian, Russian, passport and English spellings, and no
appeal by a name it does not have; and the re-indexing of documents written before."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from ngo.campaigns import search
from ngo.campaigns.models import Appeal, AppealSearchDocument
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from tests.campaigns.appeal_fixtures import alexander, published, staff
from tests.campaigns.test_public_site import add_appeal, listed_slugs, owner

__all__ = ["alexander", "owner", "published", "staff"]  # fixtures used by name


def test_queries_match_a_folded_prefix_or_a_whole_skeleton():
    assert search.query_terms("Аляксандр") == ["aliaksandr qalksndr"]
    assert search.query_terms("2026 rent") == ["2026", "rent qrnt"]
    document = search.document_for(["My name is Alexander.", "rent"])
    # Skeletons of capitalised words only (names, places), each marked with the q no folded
    # word has.
    assert document.split() == ["mi", "name", "is", "aleksander", "qalksndr", "rent"]
    assert search.query_terms("Ola") == ["ola"]  # too short a skeleton to match on
    assert "q" not in "".join(search.fold_words("Quick ｑuiz"))


@pytest.fixture
def demo(published) -> str:
    """The demo's seed appeal as `make run` writes it: `demo.appeals` drafts it, in English,
    from the demo person's verified story ("My name is Alexander..."), as `published` does
    (with a Polish title besides)."""
    english = next(t for t in published.translations if t.language == "en")
    assert english.title == STORY_TITLE and "My name is Alexander." in english.story_markdown
    return published.slug


def _found(client, query: str) -> list[str]:
    response = client.get("/appeals", query_string={"q": query})
    assert response.status_code == 200, query
    return listed_slugs(response.get_data(as_text=True))


def _found_by_api(client, query: str) -> list[str]:
    body = client.get("/api/v1/appeals", query_string={"q": query, "limit": 100}).get_json()
    return [item["slug"] for item in body["data"]]


def test_the_seed_appeal_is_found_by_its_name_in_any_script(client, demo):
    # The seed appeal is written in English only; its person is Аляксандр in Belarusian.
    for spelling in ("Alexander", "Аляксандр", "Александр", "Aliaksandr", "Aleksander"):
        assert demo in _found(client, spelling), spelling
        assert demo in _found_by_api(client, spelling), spelling
    # With another word of the appeal, in Cyrillic, too.
    assert demo in _found(client, "Аляксандр driver")


@pytest.mark.parametrize("query", ["Алексей", "Alexei", "Sasha", "Alks", "Аляксандр Minsk"])
def test_other_names_do_not_find_the_seed_appeal(client, demo, query):
    assert demo not in _found(client, query)


def test_a_name_written_in_cyrillic_is_found_in_latin(client, owner):
    # As the demo's 02-natallia-family.toml names her: Наталля (be), Наталья (ru).
    slug = add_appeal(owner, "Сям'я Наталлі", story="Мяне завуць Наталля.", languages=("be",))
    for spelling in ("Natalia", "Natallia", "Наталья", "Наталля"):
        assert _found(client, spelling) == [slug], spelling
    assert _found(client, "Natan") == []


def test_reconcile_listings_rewrites_documents_of_the_old_folding(app, demo):
    listed = db.session.scalar(
        select(AppealSearchDocument.appeal_id)
        .join(Appeal, Appeal.id == AppealSearchDocument.appeal_id)
        .where(Appeal.slug == demo)
    )
    db.session.execute(
        update(AppealSearchDocument)
        .where(AppealSearchDocument.appeal_id == listed)
        .values(document="helping a former political prisoner aleksander")
    )
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reconcile-listings"])
    assert first.exit_code == 0, first.output
    assert "Rewrote 1 search document(s)." in first.output
    document = db.session.get(AppealSearchDocument, listed)
    db.session.refresh(document)
    assert "qalksndr" in document.document.split()
    again = runner.invoke(args=["reconcile-listings"])
    assert "Rewrote 0 search document(s)." in again.output
