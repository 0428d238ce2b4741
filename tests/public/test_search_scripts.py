"""Search that finds people's public names in any script: the demo's seed appeal (Alexander,
written in English) by its Belarusian, Russian, passport and English spellings, and no
appeal by a name it does not have; and the re-indexing of documents written before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from ngo.campaigns import search
from ngo.campaigns.models import Appeal, AppealSearchDocument, AppealTranslation
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
        # As written before documents recorded their source (the migration leaves NULL).
        .values(document="helping a former political prisoner aleksander", source_digest=None)
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


# Folding again only what changed ---------------------------------------------------------

# Every rule of the folding once: Belarusian, Russian and Ukrainian letters, Polish and other
# diacritics, skeletons of capitalised words only, numbers, a fullwidth q, apostrophes.
FOLDING_SAMPLE = [
    "Мяне завуць Аляксандр, я з Мінска.",
    "Меня зовут Александр; Київ, Харків, Їжак, ґанок, щастя, Щучин.",
    "Zażółć gęślą jaźń: Łódź, Gdańsk, Wrocław.",
    "Straße, Ökonom, Ærø, Café, naïve.",
    "Quick ｑuiz 2026, x2, №5.",
    "Сям'я Наталлі, Наталья, Natallia, Yulia, Юлія.",
    "O'Brien, Jr. Ёлка, ёж, Ўладзімір.",
]
# The document of FOLDING_SAMPLE under each search.FOLDING_VERSION.
FOLDED_SAMPLE = {
    1: "miane zavuc aliaksandr qalksndr ia z minska qmnsk menia zovut aleksandr qalksndr kiiv "
    "harkiv qhrkv izhak qizhk hanok shchastia shchuchin qshchchn zazholc qzhlc hesla iazn lodz "
    "qldz hdansk qhdnsk vroclav qvrclv strae qstr okonom qoknm r cafe naive kuick qkck kuiz "
    "2026 ks 5 siam ia natalli qntl natalia qntl natallia qntl iulia iuliia o brien qbrn ir elka "
    "qelk ezh uladzimir quldzmr",
    2: "miane zavuc aliaksandr qalksndr ia z minska qmnsk menia zovut aleksandr qalksndr kiiv "
    "harkiv qhrkv izhak qizhk hanok shchastia shchuchin qshchchn zazholc qzhlc hesla iazn lodz "
    "qldz hdansk qhdnsk vroclav qvrclv strasse qstrs okonom qoknm aero cafe naive kuick qkck "
    "kuiz 2026 ks 5 siam ia natalli qntl natalia qntl natallia qntl iulia iuliia o brien qbrn ir "
    "elka qelk ezh uladzimir quldzmr",
}


@pytest.mark.parametrize(
    ("written", "typed"),
    [("Straße", "Strasse"), ("Ærø", "Aero"), ("Søren", "Soren"), ("Œuvre", "oeuvre")],
)
def test_letters_without_a_decomposition_are_found_as_readers_type_them(written, typed):
    assert search.fold_words(written) == search.fold_words(typed)
    assert search.query_terms(typed)


def test_the_folding_of_a_sample_is_the_one_recorded_for_its_version():
    """Stored documents are folded again only when their source digest changes, and the
    digest holds FOLDING_VERSION: a change of the folding without a bump would leave every
    stored document folded the old way."""
    document = search.document_for(FOLDING_SAMPLE)
    version = search.FOLDING_VERSION
    assert version in FOLDED_SAMPLE, f"record FOLDED_SAMPLE[{version}] = {document!r}"
    assert document == FOLDED_SAMPLE[version], (
        "the folding changed: bump search.FOLDING_VERSION (the next `flask reconcile-listings` "
        "folds every document again) and record the new FOLDED_SAMPLE"
    )


def test_the_digest_is_of_the_texts_and_the_folding_version(monkeypatch):
    digest = search.source_digest(["Title", "Story"])
    assert digest == search.source_digest(["Title", "Story"])
    assert digest != search.source_digest(["Title", "Story", ""])
    assert digest != search.source_digest(["TitleStory"])
    monkeypatch.setattr(search, "FOLDING_VERSION", search.FOLDING_VERSION + 1)
    assert digest != search.source_digest(["Title", "Story"])


def test_both_paths_read_the_same_texts_in_the_same_order(demo):
    """The commit hook folds from the loaded appeal, reconcile from rows read without the ORM:
    if they disagreed, every reconcile would fold every appeal again."""
    appeal = db.session.scalar(select(Appeal).where(Appeal.slug == demo))
    from_rows = search.texts_of([appeal.id])[appeal.id]
    assert from_rows == search.searchable_texts(appeal)
    assert any("My name is Alexander." in text for text in from_rows)
    appeal.translations.reverse()  # appended in another order than a load gives
    assert search.searchable_texts(appeal) == from_rows
    stored = db.session.get(AppealSearchDocument, appeal.id)
    assert stored.source_digest == search.source_digest(from_rows)


def _reconcile(app) -> str:
    result = app.test_cli_runner().invoke(args=["reconcile-listings"])
    assert result.exit_code == 0, result.output
    return result.output


def _document(appeal_id: int) -> AppealSearchDocument:
    document = db.session.get(AppealSearchDocument, appeal_id)
    db.session.refresh(document)
    return document


def test_reconcile_folds_again_only_the_appeal_whose_text_changed(app, owner, monkeypatch):
    changed, unchanged = (
        db.session.scalar(select(Appeal.id).where(Appeal.slug == add_appeal(owner, title)))
        for title in ("Winter clothes", "Rent for a family")
    )
    # add_appeal writes documents as before their source was recorded: both are folded once.
    assert "Rewrote 2 search document(s)." in _reconcile(app)
    before = _document(unchanged).source_digest
    assert before is not None
    # A text changed outside the ORM (a data migration, a bulk import): no hook saw it.
    db.session.execute(
        update(AppealTranslation)
        .where(AppealTranslation.appeal_id == changed)
        .values(story_markdown="Kaucja za mieszkanie w Białymstoku.")
    )
    db.session.commit()
    folded: list[list[str]] = []
    document_for = search.document_for
    monkeypatch.setattr(
        search, "document_for", lambda texts: folded.append(texts) or document_for(texts)
    )
    assert "Rewrote 1 search document(s)." in _reconcile(app)
    assert folded == [search.texts_of([changed])[changed]]
    assert "bialimstoku" in _document(changed).document.split()
    assert _document(unchanged).source_digest == before
    folded.clear()
    assert "Rewrote 0 search document(s)." in _reconcile(app)
    assert folded == []


def test_a_new_folding_version_folds_every_document_again(app, owner, monkeypatch):
    add_appeal(owner, "Winter clothes")
    add_appeal(owner, "Rent for a family")
    _reconcile(app)
    listed = db.session.scalar(select(func.count()).select_from(AppealSearchDocument))
    assert "Rewrote 0 search document(s)." in _reconcile(app)
    monkeypatch.setattr(search, "FOLDING_VERSION", search.FOLDING_VERSION + 1)
    assert f"Rewrote {listed} search document(s)." in _reconcile(app)
    assert "Rewrote 0 search document(s)." in _reconcile(app)


def test_saving_the_same_texts_folds_nothing(published, monkeypatch):
    """The commit hook's path: a change that leaves the public texts as they were (a gift's
    counters, a deadline) writes no document."""
    texts = search.searchable_texts(published)
    digest = search.source_digest(texts)
    assert db.session.get(AppealSearchDocument, published.id).source_digest == digest
    monkeypatch.setattr(search, "document_for", lambda texts: pytest.fail("folded again"))
    assert search.set_document(published.id, texts) is False
