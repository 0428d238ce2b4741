"""Property-based tests of the safety check: a private value of the seed case, disguised at
random (separators between its letters or digits, Markdown and HTML around parts of it,
invisible characters, look-alike letters and digits, random case) and put into random ordinary
text, is still found where it was put."""

from __future__ import annotations

from datetime import date

from babel.dates import get_month_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ngo.campaigns import safety
from ngo.cases.models import ConsentItem
from tests.campaigns.safety_corpus import demo_cases

# Derandomised: the same 150 examples on every run, so that CI does not meet a new one each time.
# A name of five letters or fewer split into two real words ("Воль га") is not joined on
# purpose (Polish "ale na" would read as Alena): a known limit of the check.
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# The seed case without the family-details consent, so that household names are private too.
PRIVATE = demo_cases()["alexander"].private(frozenset({ConsentItem.FAMILY_DETAILS}))
BORN = date(1979, 4, 12)

ORDINARY = [
    word
    for line in (
        "the family thanks everyone for the rent and the school shoes this winter",
        "rodzina dziękuje wszystkim za czynsz i buty do szkoły tej zimy",
        "семья благодарит всех за аренду и школьную обувь этой зимой",
    )
    for word in line.split()
]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "\ufe00"]
LETTER_SEPARATORS = [" ", ".", "-", "·", " . ", "_"]
DIGIT_SEPARATORS = [" ", "-", ".", "/", " - "]
# Letters a reader cannot tell from the Latin or Cyrillic ones (Unicode TR39 confusables).
LOOK_ALIKES = {
    "a": "\u0430",  # Cyrillic а
    "c": "\u0441\u03f2",  # Cyrillic с, Greek lunate sigma
    "e": "\u0435",
    "i": "\u0456\u03b9",  # Cyrillic і, Greek iota
    "o": "\u043e\u03bf",  # Cyrillic о, Greek omicron
    "p": "\u0440\u03c1",
    "s": "\u0455",
    "x": "\u0445",
    "y": "\u0443",
    "v": "\u03bd",  # Greek nu
    "u": "\u03c5",  # Greek upsilon
    "K": "\u041a\u039a",  # Cyrillic К, Greek Kappa
    "A": "\u0410\u0391",
    "B": "\u0412\u0392",
    "E": "\u0415\u0395",
    "H": "\u041d\u0397",
    "M": "\u041c\u039c",
    "O": "\u041e\u039f",
    "T": "\u0422\u03a4",
    "X": "\u0425\u03a7",
    "а": "a",  # and the other way: Latin letters inside a Cyrillic word
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "К": "K\u039a",
    "В": "B",
}
DIGIT_FORMS = [0xFF10, 0x0660, 0x06F0, 0x1D7CE]  # full-width, Arabic-Indic, Persian, math bold


def _full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@st.composite
def disguised_letters(draw: st.DrawFn, value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch.isalpha() and draw(st.booleans()):
            ch = ch.swapcase()
        roll = draw(st.integers(0, 9))
        if roll == 0 and ch in LOOK_ALIKES:
            ch = draw(st.sampled_from(LOOK_ALIKES[ch]))
        elif roll == 1:
            ch = _full_width(ch)
        out.append(ch)
        if i < len(value) - 1:
            out.append(draw(_gap(LETTER_SEPARATORS)))
    return "".join(out)


def _gap(separators: list[str]) -> st.SearchStrategy[str]:
    """What may stand between two letters or digits: mostly nothing, else separators and
    invisible characters."""
    choices = [st.just(""), st.just(""), st.sampled_from(INVISIBLE)]
    if separators:
        choices.append(st.sampled_from(separators))
    return st.one_of(choices)


@st.composite
def digits(draw: st.DrawFn, number: str, separators: list[str]) -> str:
    form = draw(st.sampled_from([None, *DIGIT_FORMS]))
    out = []
    for i, ch in enumerate(number):
        out.append(chr(form + int(ch)) if form is not None and ch.isdigit() else ch)
        if i < len(number) - 1:
            out.append(draw(_gap(separators)))
    return "".join(out)


@st.composite
def marked_up(draw: st.DrawFn, text: str) -> str:
    """Markdown or HTML around one part of the text, as an editor's toolbar puts it."""
    if len(text) < 2 or draw(st.integers(0, 3)) == 0:
        return text
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    before, part, after = text[:start], text[start:end], text[end:]
    if part.strip() != part or not part.strip():
        return text  # "** x**" is not emphasis: the reader would see the stars
    wrapped = draw(
        st.sampled_from(
            [
                f"**{part}**",
                f"*{part}*",
                f"_{part}_",
                f"<b>{part}</b>",
                f"[{part}](https://example.org/a)",
            ]
        )
    )
    return before + wrapped + after


@st.composite
def in_ordinary_text(draw: st.DrawFn, leak: str) -> tuple[str, int, int]:
    words = st.lists(st.sampled_from(ORDINARY), min_size=0, max_size=12)
    before = " ".join(draw(words))
    after = " ".join(draw(words))
    punctuation = draw(st.sampled_from(["", ",", ".", "!", ":"]))
    prefix = f"{before} " if before else ""
    text = f"{prefix}{leak}{punctuation} {after}".strip()
    return text, len(prefix), len(prefix) + len(leak)


def _found(kind: str, text: str, start: int, end: int) -> bool:
    findings = safety.scan_texts({"update": text}, PRIVATE)
    return any(f.kind == kind and f.start < end and start < f.end for f in findings)


def _assert_found(kind: str, placed: tuple[str, int, int]) -> None:
    text, start, end = placed
    assert _found(kind, text, start, end), f"{kind} not found in {text!r}"


@st.composite
def names(draw: st.DrawFn) -> tuple[str, str]:
    kind, value = draw(
        st.sampled_from(
            [
                (safety.LEGAL_SURNAME, "Kavaliou"),
                (safety.LEGAL_SURNAME, "Кавалёў"),
                (safety.LEGAL_SURNAME, "Kovalyov"),
                (safety.CITY, "Białystok"),
                (safety.CITY, "Белосток"),
                (safety.HOUSEHOLD_NAME, "Mikita"),
                (safety.HOUSEHOLD_NAME, "Вольга"),
            ]
        )
    )
    return kind, draw(marked_up(draw(disguised_letters(value))))


@SETTINGS
@given(st.data())
def test_a_disguised_name_or_city_is_found(data):
    kind, leak = data.draw(names())
    _assert_found(kind, data.draw(in_ordinary_text(leak)))


@SETTINGS
@given(st.data())
def test_a_disguised_phone_number_is_found(data):
    prefix = data.draw(st.sampled_from(["", "+48 ", "+48", "0048 ", "(+48) ", "0", "48 "]))
    number = data.draw(digits("600100200", DIGIT_SEPARATORS))
    leak = data.draw(marked_up(prefix + number))
    _assert_found(safety.PHONE, data.draw(in_ordinary_text(leak)))


@SETTINGS
@given(st.data())
def test_a_disguised_email_address_is_found(data):
    at = data.draw(st.sampled_from(["@", " at ", " (at) ", " [at] ", "&#64;", "＠", " @ "]))
    dot = data.draw(st.sampled_from([".", " dot ", " (dot) ", "&#46;", " . "]))
    local = data.draw(disguised_letters("alexander"))
    host = data.draw(disguised_letters("example"))
    leak = data.draw(marked_up(f"{local}{dot}k{at}{host}{dot}net"))
    _assert_found(safety.EMAIL, data.draw(in_ordinary_text(leak)))


@SETTINGS
@given(st.data())
def test_a_disguised_numeric_date_of_birth_is_found(data):
    day, month, year = f"{BORN.day:02d}", f"{BORN.month:02d}", str(BORN.year)
    order = data.draw(st.sampled_from([(day, month, year), (year, month, day), (month, day, year)]))
    sep = data.draw(st.sampled_from([".", "/", "-", ". "]))
    parts = [data.draw(digits(part, [])) for part in order]
    leak = data.draw(marked_up(sep.join(parts)))
    _assert_found(safety.DATE_OF_BIRTH, data.draw(in_ordinary_text(leak)))


@SETTINGS
@given(st.data())
def test_a_date_of_birth_with_the_month_name_is_found_in_every_language(data):
    locale = data.draw(st.sampled_from(["en", "pl", "be", "ru", "uk"]))
    width = data.draw(st.sampled_from(["wide", "abbreviated"]))
    month = get_month_names(width, "format", locale)[BORN.month]
    if data.draw(st.booleans()):
        month = month.upper() if data.draw(st.booleans()) else month.capitalize()
    day = data.draw(st.sampled_from([str(BORN.day), f"{BORN.day:02d}"]))
    year = data.draw(st.sampled_from([str(BORN.year), f"{BORN.year} r.", f"{BORN.year} г."]))
    if locale == "en" and data.draw(st.booleans()):
        leak = f"{month} {day}, {year}"
    else:
        leak = f"{day} {month} {year}"
    leak = data.draw(marked_up(leak))
    _assert_found(safety.DATE_OF_BIRTH, data.draw(in_ordinary_text(leak)))
