"""Reading a text as its readers get it, and mapping every character back to the source."""

from __future__ import annotations

import time

import pytest

from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.normalise import joined, normalise
from ngo.campaigns.safety.reader import reader_view, source_view, views
from ngo.markdown import visible_text
from tests.campaigns.safety_helpers import scan


def sources(mapped: Mapped, source: str) -> list[tuple[str, str]]:
    """Each character with the source text it stands for."""
    return [
        (ch, source[s:e]) for ch, s, e in zip(mapped.text, mapped.starts, mapped.ends, strict=True)
    ]


# The rendered page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "Kava**liou** and *Volha*",
        "# Heading\n\n- one\n- two &amp; three\n\n> quoted `code`",
        "[link](https://example.org) and <https://example.org/x>\n\n1. first\n2. second",
        "a \\*literal\\* star, &#64; and &lt;b&gt;",
    ],
)
def test_the_reader_view_has_the_visible_text_of_the_rendered_page(source):
    """The same words as the project's own visible_text, block boundaries as line breaks."""
    view = reader_view(source)
    assert " ".join(view.text.split()).startswith(" ".join(visible_text(source).split()))


def test_markup_inside_a_word_disappears_and_blocks_stay_apart():
    view = reader_view("Kava**liou**\n\n*Bia*łystok\n\n- a\n- b")
    assert view.text.split() == ["Kavaliou", "Białystok", "a", "b"]


def test_every_visible_character_points_at_where_it_was_written():
    source = "Kava**liou** wrote alexander.k&#64;example.net"
    view = reader_view(source)
    mapped = [pair for pair in sources(view, source) if pair[0].strip()]
    assert mapped[:8] == [(c, c) for c in "Kavaliou"]
    assert ("@", "&#64;") in mapped
    assert all(ch == src or src.startswith("&") for ch, src in mapped)


def test_a_backslash_escape_maps_to_the_escape():
    source = r"1\. not a list \* star"
    assert ("*", "\\*") in sources(reader_view(source), source)


def test_link_targets_are_part_of_what_a_reader_gets():
    source = "see [my page](https://example.org/Bia%C5%82ystok) now"
    view = reader_view(source)
    assert "https://example.org/Białystok" in view.text
    start = view.text.index("Białystok")
    # The decoded target maps onto the link's destination in the source.
    span = view.source_span(start, start + len("Białystok"))
    assert source[span[0] : span[1]] == "Bia%C5%82ystok"


def test_the_source_view_reads_html_and_references_as_a_lenient_client_would():
    source = "Kava<b></b>liou, alexander.k&#64;example.net, 600<br>100, &lt;b&gt;"
    view = source_view(source)
    assert view.text == "Kavaliou, alexander.k@example.net, 600 100, <b>"
    assert ("@", "&#64;") in sources(view, source)


def test_a_plain_text_has_one_view_and_markdown_two():
    assert len(views("Help Alexander and his family")) == 1
    assert len(views("Help **Alexander**")) == 2


# Normalising -------------------------------------------------------------------------------


def normalised(text: str) -> str:
    return normalise(Mapped.identity(text)).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kava\u200bliou\u00ad\u2060\ufeff", "Kavaliou"),
        ("Kava\ufe0f\u034f\u180eliou", "Kavaliou"),
        ("ＫＡＶＡＬＩＯＵ ６００", "KAVALIOU 600"),
        ("٦٠٠ ۶۰۰ ६०० 𝟔𝟎𝟎", "600 600 600 600"),
        ("\u039aavaliou \u039a\u0391V\u0391L\u0399\u039fU", "Kavaliou KAVALIOU"),
        ("K\u0430v\u0430liou", "Kavaliou"),
        ("В\u0061рш\u0061в\u0061", "Варшава"),  # Latin a in a Cyrillic word
        ("Kavale\u0308u", "Kavalëu"),
        ("ﬁne  day\n\n\tnext", "fine day\nnext"),
    ],
)
def test_normalise(text, expected):
    assert normalised(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Кавалёў з Беластоку", "Варшава, Рыга", "Вераб'ёў", "Белосток"],
)
def test_cyrillic_text_stays_cyrillic(text):
    """Look-alikes are folded only inside words that mix scripts: a Cyrillic er stays an r."""
    assert normalised(text) == text


def test_normalised_characters_point_at_their_source():
    source = "K\u200ba６"
    text = normalise(Mapped.identity(source))
    assert sources(text, source) == [("K", "K"), ("a", "a"), ("6", "６")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K a v a l i o u", "Kavaliou"),
        ("K.a.v.a.l.i.o.u!", "Kavaliou!"),
        ("Kava-liou and e-mail", "Kavaliou and email"),
        ("call 6 0 0 1 0 0", "call 600100"),
        ("I am a bee", None),  # not three single characters in a row
    ],
)
def test_the_copy_without_separators(text, expected):
    result = joined(Mapped.identity(text))
    assert (result[0].text if result else None) == expected


# Findings point at the source --------------------------------------------------------------


def test_a_finding_in_markdown_points_at_the_source_and_shows_it_in_context():
    story = "## Where we live\n\nSince 2022 we rent a room **in Bia**łymstoku, near the park."
    (finding,) = scan(story)
    assert finding.kind == "city"
    assert story[finding.start : finding.end] == "Bia**łymstoku"
    assert "[[Bia**łymstoku]]" in finding.context


def test_findings_in_a_long_text_keep_their_places():
    filler = "Lorem ipsum dolor sit amet. " * 40
    story = f"{filler}Kava**liou**\n\n{filler}[mail](mailto:alexander.k&#64;example.net)"
    findings = scan(story)
    assert [(f.kind, story[f.start : f.end]) for f in findings] == [
        ("legal_surname", "Kava**liou"),
        ("email", "alexander.k&#64;example.net"),
    ]


def test_one_leak_seen_in_two_shapes_is_one_finding():
    """`Kava**liou**` is a word when rendered and a split word as written: reported once."""
    assert len(scan("Kava**liou**")) == 1


@pytest.mark.parametrize(
    "hostile",
    [
        "\\*" * 25_000,  # escapes only
        "&#64;" * 10_000,  # references only
        "Kа" * 25_000,  # one word of mixed scripts
        "*" * 50_000,
        "K a " * 12_500,
        "[" * 25_000 + "](" * 10_000,
    ],
    ids=["escapes", "references", "mixed-word", "stars", "spaced", "brackets"],
)
def test_a_long_hostile_text_is_scanned_in_about_linear_time(hostile):
    """50,000 characters of one trick took minutes before the aligner, the windows and the
    look-alike pass walked each part once; a story's limit is 50,000."""
    scan("warm up: Kavaliou, 600 100 200, 12.04.1979")  # dictionaries, tables
    start = time.perf_counter()
    scan(hostile)
    assert time.perf_counter() - start < 5
