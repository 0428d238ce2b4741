"""The publication safety check: a corpus of ways a private value leaks into an appeal.

Beneficiaries are built in memory (no database): the check only reads their fields.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from ngo.campaigns import safety
from ngo.campaigns.safety import Finding, PrivateValue
from ngo.cases.models import Beneficiary, ConsentItem
from ngo.demo import cases as demo
from tests.campaigns import safety_helpers
from tests.campaigns.safety_helpers import NO_FAMILY, SEED_CONSENT, seed_person

ROOT = Path(__file__).resolve().parents[2]
STORY = demo.seed_story_body()


def alexander(**changes) -> Beneficiary:
    """The seed person with a shorter e-mail address, which the leaks below spell out."""
    return seed_person(**{"email": "alex.k@example.net", **changes})


def scan(
    text: str,
    consented: frozenset[ConsentItem] = SEED_CONSENT,
    extra: tuple[PrivateValue, ...] = (),
    person: Beneficiary | None = None,
) -> list[Finding]:
    return safety_helpers.scan(text, consented, person=person or alexander(), extra=extra)


def kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


# The corpus of leaks ----------------------------------------------------------------------

LEAKS = [
    # The surname, in Cyrillic and in Latin spellings, declined, in any case.
    ("Аляксандр сказаў, што Кавалёў не вінаваты.", "legal_surname"),
    ("Kavaliou", "legal_surname"),
    ("Kavaliow", "legal_surname"),
    ("Kavalёў", "legal_surname"),  # mixed scripts, as pasted from two sources
    ("Kovalev", "legal_surname"),  # the Russian form
    ("Ковалёв", "legal_surname"),
    ("Please help the family of Кавалёва today.", "legal_surname"),
    ("Дапамажыце Кавалёву!", "legal_surname"),
    ("Pomóżmy rodzinie Kavaliova", "legal_surname"),
    ("Dziękujemy Kavaliovu", "legal_surname"),
    ("Хто знаў Кавалёвым?", "legal_surname"),
    ("MY NAME IS KAVALIOU AND I NEED HELP", "legal_surname"),
    ("Share #FreeKavaliou everywhere", "legal_surname"),
    ("Kava\u00adliou", "legal_surname"),  # soft hyphen from a word processor
    ("Kavale\u0308u", "legal_surname"),  # decomposed diacritics (NFD)
    # The full legal name.
    ("Aliaksandr Kavaliou", "legal_name"),
    ("Аляксандр\nКавалёў", "legal_name"),
    # The phone with any separators and prefixes.
    ("call 600100200", "phone"),
    ("call 600.100.200", "phone"),
    ("call (+48) 600-100-200", "phone"),
    ("call 0048 600 100 200", "phone"),
    ("call +48600100200", "phone"),
    ("call 48 600 100 200", "phone"),
    ("call +48 (600) 100 200", "phone"),
    ("call 0 600 100 200", "phone"),
    # The date of birth in formats and languages.
    ("born 12.04.1979", "date_of_birth"),
    ("born 12/04/1979", "date_of_birth"),
    ("born 1979-04-12", "date_of_birth"),
    ("born 12 April 1979", "date_of_birth"),
    ("born 12th of April, 1979", "date_of_birth"),
    ("born April 12, 1979", "date_of_birth"),
    ("urodzony 12 kwietnia 1979 r.", "date_of_birth"),
    ("родился 12 апреля 1979 года", "date_of_birth"),
    ("нарадзіўся 12 красавіка 1979", "date_of_birth"),
    ("народився 12 квітня 1979", "date_of_birth"),
    ("born 12.4.79", "date_of_birth"),
    ("born 12.IV.1979", "date_of_birth"),
    ("born 04/12/1979", "date_of_birth"),  # US order
    ("born 12-Apr-1979", "date_of_birth"),
    # The e-mail, in capitals and obfuscated.
    ("write to alex.k@example.net", "email"),
    ("write to ALEX.K@EXAMPLE.NET", "email"),
    ("write to alex.k at example dot net", "email"),
    ("write to alex.k (at) example (dot) net", "email"),
    ("write to alex.k [at] example [dot] net", "email"),
    ("пишите alex.k собака example точка net", "email"),
    # The city, not consented.
    ("We now live in Białystok.", "city"),
    ("We now live in Bialystok.", "city"),
    ("Мы живём в Белостоке.", "city"),
    ("Мы жывём у Беластоку.", "city"),
]


@pytest.mark.parametrize(("text", "kind"), LEAKS)
def test_leak_is_found(text, kind):
    findings = scan(text)
    assert kinds(findings) == [kind]
    (finding,) = findings
    assert finding.field == "story"
    assert finding.end > finding.start


# Household names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "My wife Вольга stayed.",
        "My wife Volha stayed.",
        "I called Вольгу.",
        "Мікіта goes to school",
    ],
)
def test_household_names_are_found_without_family_consent(text):
    assert kinds(scan(text, NO_FAMILY)) == ["household_name"]


@pytest.mark.parametrize("text", ["My wife Вольга stayed.", "Mikita goes to school"])
def test_household_names_may_be_shown_with_family_consent(text):
    assert scan(text, SEED_CONSENT) == []


def test_a_two_letter_name_matches_whole_words_only():
    person = alexander(household=[("daughter", "Li", 9)])
    assert kinds(scan("Li was born in Minsk.", NO_FAMILY, person=person)) == ["household_name"]
    assert kinds(scan("Лі спіць.", NO_FAMILY, person=person)) == ["household_name"]
    harmless = "Limited politics in Lithuania; a lie, they lay low. Lu and Lee are fine. Li-ion."
    findings = scan(harmless, NO_FAMILY, person=person)
    # Only the last "Li" (before the hyphen) is the name as a whole word.
    assert [harmless[f.start : f.end] for f in findings] == ["Li"]


# The city ----------------------------------------------------------------------------------


def test_city_is_flagged_only_without_city_consent():
    text = "Now we rent a room in Białystok."
    assert kinds(scan(text, SEED_CONSENT)) == ["city"]
    assert scan(text, SEED_CONSENT | {ConsentItem.CITY}) == []


# The slug ----------------------------------------------------------------------------------


def test_a_slug_with_the_name_is_flagged():
    private = safety.private_values_of(alexander(), SEED_CONSENT)
    findings = safety.scan_texts({"slug": "alexander-kavaliou-help"}, private)
    assert [(f.kind, f.field) for f in findings] == [("legal_name", "slug")]
    assert "[[alexander-kavaliou]]" in findings[0].context


def test_a_random_slug_is_clean():
    private = safety.private_values_of(alexander(), SEED_CONSENT)
    assert safety.scan_texts({"slug": "q7mzx-b2rtn0w"}, private) == []


# The seed story and other false-positive guards --------------------------------------------


@pytest.mark.parametrize("consented", [SEED_CONSENT, NO_FAMILY])
def test_the_seed_story_is_clean(consented):
    """It names Alexander (public, consented), Stolin, Zeltser, Mogilev: none is private."""
    private = safety.private_values_of(alexander(), consented)
    texts = {
        "title": "Helping a former political prisoner and his family to survive financially",
        "story": STORY,
        "translation:pl:story": STORY.replace("My name is Alexander", "Nazywam się Alexander"),
    }
    assert safety.scan_texts(texts, private) == []


@pytest.mark.parametrize(
    "text",
    [
        "Kowalski and Kavalier were his neighbours; he likes cavalry films and travel.",
        "Account 1600100200 and order 600100200123 are other numbers.",
        "The 600 100 meters and +48 600 100 201 are not his phone.",
        "It happened on 12.04.2023 and on 12 April 2021; he was born in 1979.",
        "April 1979 was cold; 4.12.1980 is another day; version 1.12.04.1979.1 too.",
        "Mail alex.k@example.network or example.net or alex@example.net.",
        "On September 29, 2021, I was detained in 2 years and 6 months time.",
    ],
)
def test_near_misses_are_not_flagged(text):
    assert scan(text) == []


def test_without_public_name_consent_the_first_name_is_private():
    findings = scan(STORY, SEED_CONSENT - {ConsentItem.PUBLIC_NAME})
    assert kinds(findings) == ["legal_name"]
    assert "[[Alexander]]" in findings[0].context


# Which values are private --------------------------------------------------------------------


def test_private_values_follow_the_consents():
    values = safety.private_values_of(alexander(), NO_FAMILY)
    assert [(v.kind, v.value) for v in values] == [
        ("legal_surname", "Кавалёў"),
        ("legal_name", "Аляксандр Кавалёў"),
        ("date_of_birth", "1979-04-12"),
        ("phone", "+48 600 100 200"),
        ("email", "alex.k@example.net"),
        ("messenger", "Signal: +48 600 100 200"),
        ("household_name", "Volha"),
        ("household_name", "Mikita"),
        ("city", "Białystok"),
    ]


def test_a_public_name_equal_to_the_legal_name_frees_the_name_only_with_consent():
    person = alexander(public_name="Aliaksandr Kavaliou")
    with_consent = safety.private_values_of(person, SEED_CONSENT)
    assert not {v.kind for v in with_consent} & {"legal_name", "legal_surname"}
    without = safety.private_values_of(person, SEED_CONSENT - {ConsentItem.PUBLIC_NAME})
    assert [v.value for v in without if v.kind == "legal_name"] == [
        "Аляксандр",
        "Кавалёў",
        "Аляксандр Кавалёў",
    ]


def test_a_patronymic_is_private_too():
    person = alexander(legal_name="Кавалёў Аляксандр Мікалаевіч")
    assert kinds(scan("Aleksandr Mikalaevich", person=person)) == ["legal_surname"]


def test_an_initial_in_the_legal_name_does_not_match_every_letter():
    person = alexander(legal_name="Аляксандр А. Кавалёў")
    assert scan("A man and a dog, Alexander.", person=person) == []
    assert kinds(scan("Alexander A. Kavaliou", person=person)) == ["legal_surname"]


@pytest.mark.parametrize("text", ["Łukaszenka", "Lukaszenka", "Лукашэнка", "Lukashenko"])
def test_extra_names_added_by_staff(text):
    extra = (PrivateValue("legal_surname", "Łukaszenka"),)
    assert kinds(scan(f"the maiden name {text} again", extra=extra)) == ["legal_surname"]


# Messenger handles, document numbers, street addresses ---------------------------------------


@pytest.mark.parametrize(
    "text", ["@kavaliou_a", "kavaliou_a", "@KAVALIOU_A", "https://t.me/kavaliou_a"]
)
def test_messenger_handles(text):
    person = alexander(messenger="Telegram: @kavaliou_a")
    assert kinds(scan(f"write to {text} now", person=person)) == ["messenger"]


def test_a_short_handle_needs_its_at_sign():
    person = alexander(messenger="@ola")
    assert kinds(scan("write to @ola", person=person)) == ["messenger"]
    assert scan("hola, ola", person=person) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("passport MP1234567", True),
        ("passport MP 123 45 67", True),
        ("passport mp-1234567", True),
        ("passport MP12345678", False),
        ("passport XMP1234567", False),
    ],
)
def test_document_numbers_ignore_separators(text, found):
    extra = (PrivateValue("document_number", "MP 1234567"),)
    assert kinds(scan(text, extra=extra)) == (["document_number"] if found else [])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("we live at ul. Lipowa 12/3", True),
        ("we live at ulica Lipowa 12", True),
        ("mieszkamy przy ulicy Lipowej 12", True),
        ("we live at 12 Lipowa Street", True),
        ("we live at Lipowa 14", False),
        ("Lipowa street is long", False),
    ],
)
def test_street_addresses(text, found):
    extra = (PrivateValue("street_address", "ul. Lipowa 12/3, 15-001 Białystok"),)
    consented = SEED_CONSENT | {ConsentItem.CITY}
    assert kinds(scan(text, consented, extra)) == (["street_address"] if found else [])


# Findings ----------------------------------------------------------------------------------


def test_context_marks_the_match_within_forty_characters():
    text = (
        "This is a long introduction that goes on and on. Hello, my name is Kavaliou and "
        "I am writing to ask for your help with the rent of this winter."
    )
    (finding,) = scan(text)
    assert text[finding.start : finding.end] == "Kavaliou"
    assert finding.context.startswith("…")
    assert finding.context.endswith("…")
    assert "my name is [[Kavaliou]] and I" in finding.context
    assert len(finding.context) <= 2 * 40 + len("[[Kavaliou]]") + 2


def test_a_covered_finding_is_reported_once():
    """The surname inside the full name, the phone that is also the messenger number."""
    findings = scan("Аляксандр Кавалёў, +48 600 100 200")
    assert kinds(findings) == ["legal_name", "phone"]


def test_private_values_stay_out_of_reprs_and_logs(caplog):
    caplog.set_level(logging.DEBUG)
    findings = scan("Kavaliou, 600 100 200")
    values = safety.private_values_of(alexander(), SEED_CONSENT)
    printed = repr(findings) + repr(values)
    for secret in ("Kavaliou", "Кавалёў", "600", "1979", "alex.k"):
        assert secret not in printed
    assert caplog.records == []


# Images ------------------------------------------------------------------------------------


def jpeg(exif: Image.Exif | None = None, **save) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", (16, 16), "teal")
    if exif is not None:
        save["exif"] = exif
    picture.save(out, "JPEG", **save)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 8.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (23.0, 9.0, 0.0)
    return exif


def test_gps_in_a_jpeg_is_flagged():
    (finding,) = safety.scan_image(jpeg(gps_exif()), "photo:metadata")
    assert (finding.kind, finding.field) == ("image_metadata", "photo:metadata")
    assert "GPS" in finding.context
    assert "53" not in finding.context  # it says what is there, not the position


def test_camera_and_date_taken_are_flagged():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS 80D"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 10:00:00"
    (finding,) = safety.scan_image(jpeg(exif))
    assert "camera make/model" in finding.context
    assert "date taken" in finding.context


def test_a_jpeg_comment_is_flagged():
    (finding,) = safety.scan_image(jpeg(comment=b"Lipowa 12, flat 3"))
    assert "comment" in finding.context


def test_png_text_chunks_are_flagged():
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "A. Kavaliou")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=chunks)
    (finding,) = safety.scan_image(out.getvalue())
    assert "PNG text chunks (Author)" in finding.context


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    return exif


@pytest.mark.parametrize(
    ("image_format", "options", "expected"),
    [
        ("JPEG", {"xmp": b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"}, "XMP metadata"),
        ("PNG", {"exif": camera_exif()}, "EXIF camera make/model"),
        ("WEBP", {"exif": camera_exif()}, "EXIF camera make/model"),
        ("GIF", {"comment": b"Lipowa 12"}, "comment"),
    ],
)
def test_metadata_in_other_formats_is_flagged(image_format, options, expected):
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, image_format, **options)
    (finding,) = safety.scan_image(out.getvalue())
    assert finding.context == expected


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_clean_images_are_not_flagged(image_format):
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(out, image_format)
    assert safety.scan_image(out.getvalue()) == []


def test_orientation_alone_is_not_metadata_about_anyone():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    assert safety.scan_image(jpeg(exif)) == []


def test_an_unreadable_image_cannot_pass():
    (finding,) = safety.scan_image(b"not an image", "photo:metadata")
    assert finding.kind == "image_unreadable"


def test_check_publication_combines_texts_and_images():
    findings = safety.check_publication(
        alexander(),
        {"title": "Help Alexander", "photo:caption": "Volha and Mikita in Białystok"},
        {"photo:metadata": jpeg(gps_exif()), "photo:2:metadata": jpeg()},
        NO_FAMILY,
        extra=[PrivateValue("document_number", "MP1234567")],
    )
    assert [(f.kind, f.field) for f in findings] == [
        ("household_name", "photo:caption"),
        ("household_name", "photo:caption"),
        ("city", "photo:caption"),
        ("image_metadata", "photo:metadata"),
    ]


@pytest.mark.parametrize(
    ("phone", "leak"),
    [
        ("+49 1512 3486620", "Ring him on 01512 3486620."),
        ("+49 1512 3486620", "Ring him on +49-1512-348-66-20."),
        ("+374 93 418 226", "Ring him on 093 418 226."),
        ("+374 93 418 226", "Ring him on (+374) 93.418.226."),
        ("00370 612 34567", "Ring him on 8 612 34567 or 612-34567."),
    ],
)
def test_phone_numbers_of_any_length_are_found_in_local_form(phone, leak):
    person = alexander(phone=phone, messenger="")
    assert "phone" in kinds(scan(leak, person=person))


def test_a_longer_number_that_merely_contains_the_phone_is_not_a_finding():
    person = alexander(phone="+374 93 418 226", messenger="")
    assert kinds(scan("Invoice 1934182267 was paid.", person=person)) == []
