"""Phone numbers, e-mail addresses, dates of birth and document numbers in any shape."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date, get_month_names

from ngo.campaigns import safety
from ngo.campaigns.safety import PrivateValue
from ngo.campaigns.safety.matchers.dates import month_names
from tests.campaigns.safety_helpers import found, seed_person, values


def hits(kind: str, value: str, text: str) -> list[str]:
    return [text[f.start : f.end] for f in safety.scan_texts({"t": text}, values(kind, value))]


# Phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "600100200",
        "600 100 200",
        "600-100-200",
        "600.100.200",
        "600/100/200",
        "(600) 100 200",
        "+48 600 100 200",
        "+48600100200",
        "0048 600 100 200",
        "00 48 600 100 200",
        "(+48) 600-100-200",
        "+48 (600) 100 200",
        "48 600 100 200",
        "0 600 100 200",
        "６００１００２００",
        "٦٠٠-١٠٠-٢٠٠",
        "۶۰۰ ۱۰۰ ۲۰۰",
        "+٤٨ ٦٠٠ ١٠٠ ٢٠٠",
        "6OO 1OO 2OO",
        "600*100*200",
        "600 **100** 200",
        "600_100_200",
        "6 0 0 1 0 0 2 0 0",
        "6\u200b0\u200b0 100 200",
    ],
)
def test_the_seed_phone_in_any_shape(text):
    assert hits("phone", "+48 600 100 200", f"Call {text} now.") != []


@pytest.mark.parametrize(
    "text",
    [
        "1600100200",  # a longer number
        "600100200123",
        "+48 600 100 201",
        "600 100 20",
        "600, 100, 200",  # a list of amounts
    ],
)
def test_other_numbers_are_not_the_phone(text):
    assert hits("phone", "+48 600 100 200", f"Numbers: {text}.") == []


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("+375 29 123 45 67", "8 029 123-45-67"),  # Belarus, trunk prefix 8 0
        ("+375 29 123 45 67", "80291234567"),
        ("8 029 123 45 67", "+375 29 1234567"),  # stored without +: parsed in BY
        ("+370 612 34567", "8 612 34567"),  # Lithuania, trunk prefix 8
        ("+380 50 123 4567", "050 123 45 67"),  # Ukraine
        ("+49 1512 3486620", "01512 3486620"),  # Germany
        ("+995 555 12 34 56", "555-12-34-56"),  # Georgia
        ("0151 23486620", "+49 151 23486620"),  # stored nationally: parsed in DE
        ("+374 93 418 226", "093 418 226"),  # Armenia
    ],
)
def test_phones_of_our_regions_in_local_and_international_form(stored, written):
    assert hits("phone", stored, f"Ring {written} today") != []


def test_a_number_phonenumbers_cannot_read_is_still_matched_by_its_digits():
    assert hits("phone", "+999 1234 5678", "call 1234-5678") != []


# E-mail --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "alexander.k@example.net",
        "ALEXANDER.K@EXAMPLE.NET",
        "alexander.k @ example.net",
        "alexander.k at example dot net",
        "alexander.k AT example DOT net",
        "alexander dot k at example dot net",
        "alexander.k (at) example (dot) net",
        "alexander.k [at] example [dot] net",
        "alexander.k {at} example {dot} net",
        "alexander.k <at> example <dot> net",
        "alexander.k(at)example.net",
        "alexander.k [@] example [.] net",
        "alexander.k -at- example -dot- net",
        "alexander.k małpa example kropka net",
        "alexander.k malpa example kropka net",
        "alexander.k собака example точка net",
        "alexander.k sobaka example tochka net",
        "alexander.k мавпа example крапка net",
        "alexander.k＠example.net",  # full-width at
        "аlexander.k@ехample.net",  # Cyrillic а and е, х
        "alexander.k&#64;example.net",
        "a l e x a n d e r . k @ e x a m p l e . n e t",
        "alexander.k@exa\u200bmple.net",
        "alexanderk@examplenet",
    ],
)
def test_the_seed_email_in_any_shape(text):
    assert [kind for kind, _ in found(f"Write to {text} please.")] == ["email"]


@pytest.mark.parametrize(
    "text",
    [
        "alexander.k@example.network",
        "xalexander.k@example.net.org",
        "alexander@example.net",
        "k@example.net",
        "at example dot net",
    ],
)
def test_other_addresses_are_not_the_email(text):
    assert hits("email", "alexander.k@example.net", f"Write to {text} please.") == []


# Dates of birth ------------------------------------------------------------------------------

BORN = date(1979, 4, 12)
UI_LANGUAGES = ("en", "pl", "be", "ru", "uk")


def test_month_names_come_from_cldr_in_every_ui_language():
    names = set(month_names(4))
    for locale in UI_LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                assert get_month_names(width, context, locale)[4].rstrip(".").lower() in names


@pytest.mark.parametrize("locale", [*UI_LANGUAGES, "de", "fr"])
@pytest.mark.parametrize("style", ["long", "medium", "short", "full"])
def test_the_date_as_babel_formats_it(locale, style):
    """However a page in that language would print the date, it is found."""
    text = format_date(BORN, format=style, locale=locale)
    assert hits("date_of_birth", BORN.isoformat(), f"— {text} —") != []


@pytest.mark.parametrize("locale", UI_LANGUAGES)
@pytest.mark.parametrize("width", ["wide", "abbreviated"])
@pytest.mark.parametrize("context", ["format", "stand-alone"])
def test_day_month_name_year_in_each_form_of_the_month(locale, width, context):
    month = get_month_names(width, context, locale)[4]
    assert hits("date_of_birth", "1979-04-12", f"born 12 {month} 1979") != []


@pytest.mark.parametrize(
    "text",
    [
        "12.04.1979",
        "12/04/1979",
        "12-04-1979",
        "12 04 1979",
        "12.4.1979",
        "12.04.79",
        "12/4/79",
        "04/12/1979",  # US order
        "4/12/79",
        "1979-04-12",
        "1979.04.12",
        "79-04-12",
        "12041979",
        "19790412",
        "04121979",
        "12.IV.1979",
        "12 IV 1979",
        "12th of April, 1979",
        "April 12th, 1979",
        "12-го апреля 1979 года",
        "1979 April 12",
        "12. April 1979",
        "12 avril 1979",
        "١٢/٠٤/١٩٧٩",
        "1 2 . 0 4 . 1 9 7 9",
    ],
)
def test_numeric_and_mixed_forms_of_the_date(text):
    assert hits("date_of_birth", "1979-04-12", f"born {text}.") != []


@pytest.mark.parametrize(
    "text",
    [
        "12.04.2023",
        "12 April 2021",
        "in 1979",
        "April 1979",
        "4.12.1980",
        "version 1.12.04.1979.1",
        "12 IV 1980",
        "3.12.04.1979",
    ],
)
def test_other_dates_are_not_the_birthday(text):
    assert hits("date_of_birth", "1979-04-12", f"On {text} it rained.") == []


# Document numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "is_found"),
    [
        ("MP1234567", True),
        ("MP 123 45 67", True),
        ("mp-1234567", True),
        ("M.P.1234567", True),
        ("MP_123_4567", True),
        ("МР1234567", True),  # Cyrillic М and Р look like Latin M and P
        ("ＭＰ１２３４５６７", True),
        ("MP12345678", False),
        ("XMP1234567", False),
    ],
)
def test_document_numbers_with_any_separators(text, is_found):
    assert bool(hits("document_number", "MP 1234567", f"passport {text} issued")) is is_found


# Labels ----------------------------------------------------------------------------------------


def test_describe_names_the_kind_not_the_value(app):
    with app.test_request_context():
        assert safety.describe("legal_surname") == "legal surname"
        assert safety.describe("phone") == "phone number"
        assert safety.describe("city") == "city"
        assert safety.describe("image_metadata") == "hidden image data"
        assert safety.describe("something_new") == "something new"


def test_every_kind_of_a_private_value_has_a_label(app):
    kinds = {v.kind for v in safety.private_values_of(seed_person(), frozenset())}
    kinds |= {"street_address", "document_number", "image_metadata", "image_unreadable"}
    with app.test_request_context():
        assert all("_" not in safety.describe(kind) for kind in kinds)


def test_findings_of_extra_values_staff_added():
    extra = (PrivateValue("street_address", "ul. Lipowa 12/3, 15-001 Białystok"),)
    assert found("mieszkamy przy ulicy Lipowej 12", extra=extra) == [
        ("street_address", "Lipowej 12")
    ]
