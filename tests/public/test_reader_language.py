"""Which language a reader gets: their own where the appeal is written in it, else English,
else the appeal's own language; the page says so, in the reader's language, and links to
the other languages it is written in."""

from __future__ import annotations

import re

import pytest

from ngo.campaigns.presentation import pick_text, reading_order
from ngo.i18n import LANGUAGE_COOKIE
from ngo.public.browse.cards import TextRow
from tests.campaigns.test_public_site import add_appeal, get_text, owner

__all__ = ["owner"]  # fixtures used by name


def _text(language: str) -> TextRow:
    return TextRow(1, language, f"title {language}", "", "")


@pytest.mark.parametrize(
    ("written", "reader", "fallback", "shown"),
    [
        (("be", "en", "pl"), "pl", "be", "pl"),  # the reader's own
        (("be", "en"), "pl", "be", "en"),  # English before the original
        (("be", "ru"), "pl", "be", "be"),  # no English: the original
        (("be", "ru"), "pl", "ru", "ru"),
        (("be", "en"), "", "be", "en"),  # no reader's language (the API): English first
        (("ru",), "en", "be", "ru"),  # nothing in the order: the first written
    ],
)
def test_one_rule_chooses_the_text(written, reader, fallback, shown):
    assert pick_text([_text(code) for code in written], reader, fallback).language == shown


def test_the_reading_order_names_each_language_once():
    assert reading_order("en", "en") == ("en",)
    assert reading_order("", "be") == ("en", "be")
    assert reading_order("uk", "ru") == ("uk", "en", "ru")


def _polish(client) -> None:
    client.set_cookie(LANGUAGE_COOKIE, "pl")


def test_a_polish_reader_gets_english_before_the_original_on_the_list(client, owner):
    slug = add_appeal(owner, "Pomoc", languages=("be", "en"))
    _polish(client)
    page = get_text(client, "/appeals")
    card = page[page.index(f'href="/appeals/{slug}"') - 400 :]
    assert 'lang="en"' in card[:800]


def _notice(page: str) -> str:
    found = re.search(r'<p class="appeal-language-notice">(.*?)</p>', page, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_the_page_says_which_language_the_appeal_is_written_in(client, owner):
    only_belarusian = add_appeal(owner, "Дапамога", languages=("be",))
    _polish(client)
    page = get_text(client, f"/appeals/{only_belarusian}")
    # Babel's name of the language, as a Polish reader says it.
    assert _notice(page) == "Ta zbiórka została napisana w języku: białoruski."
    assert '<header class="appeal-header" lang="be">' in page
    client.delete_cookie(LANGUAGE_COOKIE)
    english = get_text(client, f"/appeals/{only_belarusian}")
    assert _notice(english) == "This appeal is written in Belarusian."


def test_the_page_says_the_readers_language_is_missing_and_links_to_the_others(client, owner):
    slug = add_appeal(owner, "Help", languages=("be", "en", "ru"))
    _polish(client)
    page = get_text(client, f"/appeals/{slug}")
    assert _notice(page) == (
        "Ta zbiórka nie została napisana w języku: polski; czytasz ją w języku: angielski."
    )
    assert '<span lang="en" aria-current="true">English</span>' in page
    for code, name in (("be", "Беларуская"), ("ru", "Русский")):
        link = f'<a href="/appeals/{slug}?lang={code}" hreflang="{code}" lang="{code}">{name}</a>'
        assert link in page
    chosen = get_text(client, f"/appeals/{slug}?lang=ru")
    assert '<span lang="ru" aria-current="true">Русский</span>' in chosen
    assert '<header class="appeal-header" lang="ru">' in chosen


def test_no_notice_when_the_appeal_is_in_the_readers_language(client, owner):
    slug = add_appeal(owner, "Help", languages=("be", "pl"))
    _polish(client)
    page = get_text(client, f"/appeals/{slug}")
    assert _notice(page) == ""
    assert '<header class="appeal-header">' in page


def test_the_api_without_lang_answers_in_english_before_the_original(client, owner):
    slug = add_appeal(owner, "Help", languages=("be", "en"))
    body = client.get(f"/api/v1/appeals/{slug}").get_json()
    assert body["language"] == "en"
    assert client.get(f"/api/v1/appeals/{slug}?lang=be").get_json()["language"] == "be"
    listed = client.get("/api/v1/appeals").get_json()["data"]
    assert [item["language"] for item in listed if item["slug"] == slug] == ["en"]
