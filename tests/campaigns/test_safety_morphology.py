"""Names and places in every form they take: Polish, Russian, Ukrainian and Belarusian case
forms, and the other names of a city (in geonames)."""

from __future__ import annotations

import pytest

from ngo.campaigns import safety
from ngo.campaigns.safety import PrivateValue, morphology, places
from tests.campaigns.safety_helpers import NO_FAMILY, found, seed_person, values


def city_found(city: str, text: str) -> list[str]:
    return [text[f.start : f.end] for f in safety.scan_texts({"t": text}, values("city", city))]


# The dictionaries ----------------------------------------------------------------------------


def test_morfeusz_gives_every_polish_form():
    assert {"Białymstoku", "Białegostoku", "Białymstokiem"} <= morphology.forms("Białystok")
    assert {"Warszawie", "Warszawy", "Warszawę"} <= morphology.forms("Warszawa")
    assert {"Kowalskiego", "Kowalskiemu"} <= morphology.forms("Kowalski")


def test_pymorphy_gives_russian_and_ukrainian_forms():
    assert {"Белостоке", "Белостоку"} <= morphology.forms("Белосток")
    assert {"Ковалёва", "Ковалёвым"} <= morphology.forms("Ковалёв")
    assert {"Києві", "Києва"} <= morphology.forms("Київ")
    assert {"Ковальова", "Ковальову"} <= morphology.forms("Ковальов")


def test_belarusian_words_are_inflected_through_their_russian_spelling():
    """Кавалёў declines like Кавалёв; the forms are matched with the vowels folded."""
    assert {"Кавалёва", "Кавалёву", "Кавалёвым"} <= morphology.forms("Кавалёў")
    assert "Беластоку" in morphology.forms("Беласток")


def test_unknown_latin_words_have_no_forms_but_themselves():
    assert morphology.forms("Kavaliou") == frozenset({"Kavaliou"})


def test_simplemma_lemmatises_languages_without_a_generator():
    assert "Vilnius" in morphology.lemmas("Vilniuje")
    assert "Kaunas" in morphology.lemmas("Kauno")


def test_geonames_gives_the_other_names_of_a_city():
    assert {"Belostok", "Беласток", "Белосток", "Білосток"} <= set(places.other_names("Białystok"))
    assert {"Warszawa", "Варшава", "Varsovie", "Warschau"} <= set(places.other_names("Warsaw"))
    assert {"Столин", "Столін"} <= set(places.other_names("Stolin"))
    # Found by any of its names; the biggest city of that name.
    assert "Vilnius" in places.other_names("Wilno")
    assert "Брэст" in places.other_names("Brest")
    assert places.other_names("Qwzxy") == ()


# In a scan -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "text", "leak"),
    [
        ("Białystok", "Mieszkamy w Białymstoku od roku.", "Białymstoku"),
        ("Białystok", "Do Białegostoku przyjechaliśmy nocą.", "Białegostoku"),
        ("Białystok", "Жывем у Беластоку.", "Беластоку"),
        ("Białystok", "Живём в Белостоке.", "Белостоке"),
        ("Białystok", "We live in Byelostok now.", "Byelostok"),
        ("Warsaw", "Mieszkamy w Warszawie.", "Warszawie"),
        ("Warsaw", "Живём в Варшаве.", "Варшаве"),
        ("Warsaw", "Nous vivons à Varsovie.", "Varsovie"),
        ("Warsaw", "Wir wohnen in Warschau.", "Warschau"),
        ("Vilnius", "Mieszkamy w Wilnie.", "Wilnie"),
        ("Vilnius", "Gyvename Vilniuje.", "Vilniuje"),
        ("Vilnius", "Живём в Вильнюсе.", "Вильнюсе"),
        ("Vilnius", "Живемо у Вільнюсі.", "Вільнюсі"),
        ("Kyiv", "Живемо у Києві.", "Києві"),
        ("Kyiv", "Mieszkamy w Kijowie.", "Kijowie"),
        ("Kyiv", "Живём в Киеве.", "Киеве"),
        ("Łódź", "Mieszkamy w Łodzi.", "Łodzi"),
        ("Łódź", "We live in Lodz.", "Lodz"),
        ("Stolin", "Ён родам са Століна.", "Століна"),
        ("Stolin", "Он родом из Столина.", "Столина"),
        ("Leipzig", "Mieszkamy w Lipsku.", "Lipsku"),
        ("Odesa", "Живём в Одессе.", "Одессе"),
        ("Kaunas", "Mieszkamy w Kownie.", "Kownie"),
        ("Brest", "Родам з Брэста.", "Брэста"),
        ("Gdańsk", "Живём в Гданьске.", "Гданьске"),
    ],
)
def test_a_city_is_found_in_other_languages_and_case_forms(city, text, leak):
    assert city_found(city, text) == [leak]


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Дапамажыце Кавалёву!", "Кавалёву"),
        ("Размаўлялі з Кавалёвым.", "Кавалёвым"),
        ("Pomóżmy rodzinie Kavaliova.", "Kavaliova"),
        ("Dziękujemy Kavaliovowi.", "Kavaliovowi"),
        ("Спасибо Ковалёву.", "Ковалёву"),
        ("Kavaliou's family", "Kavaliou"),
        ("#FreeKavaliou", "Kavaliou"),
    ],
)
def test_the_surname_is_found_in_its_case_forms(text, leak):
    assert found(text) == [("legal_surname", leak)]


def test_household_names_are_found_in_their_case_forms():
    person = seed_person(household=[("wife", "Вольга", 41)])
    # Вользе (г/з alternation) is a Belarusian form the Russian paradigm does not give.
    text = "Я патэлефанаваў Вользе і Вольгі не было."
    assert found(text, consented=NO_FAMILY, person=person) == [("household_name", "Вольгі")]
    assert found("Передайте Вользі привіт.", consented=NO_FAMILY, person=person) == [
        ("household_name", "Вользі")
    ]


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        # A short skeleton is shared by ordinary words: the spelling must be near too.
        ("city", "Łódź", "Pomagamy ludziom; tych ludzi jest wielu."),
        ("legal_surname", "Parisa", "Press the button to see the prose."),
        ("legal_surname", "Кавалёў", "Kowal i kawał chleba."),
        ("legal_surname", "Сеітава", "В составе семьи; он стал другим."),
        # A case form adds an ending to a long enough stem, not any letters.
        ("city", "Vilnius", "Historia pozbawienia wolności."),
        ("legal_surname", "Сазонов", "Skontaktuj się z nią w zwykły sposób."),
        # Pieces are joined only when one is not a word of its own.
        ("household_name", "Алена", "Мы просім, але не патрабуем."),
        ("legal_surname", "Віктар", "Kraj, w którym mieszka."),
        # Another name of a city that morfeusz reads as a form of an unrelated word (Lodze).
        ("city", "Łódź", "Open the audit log."),
    ],
)
def test_near_misses_are_not_findings(kind, value, text):
    assert safety.scan_texts({"t": text}, [PrivateValue(kind, value)]) == []
