"""The ways of writing a private value that the issue lists (and their neighbours), each caught
against the seed case's values, with the finding pointing at the text as the author wrote it."""

from __future__ import annotations

import pytest

from ngo.campaigns import safety
from tests.campaigns.safety_helpers import SEED_CONSENT, found, scan, seed_person

# (text as written, kind, what the finding must point at in that text)
TRICKS = [
    # Inflected forms of the city.
    ("Mieszkamy w Białymstoku.", "city", "Białymstoku"),
    ("Przyjechał do Białegostoku w 2021 roku.", "city", "Białegostoku"),
    ("Pod Białymstokiem jest las.", "city", "Białymstokiem"),
    ("Мы живём в Белостоке.", "city", "Белостоке"),
    ("Мы жывём у Беластоку.", "city", "Беластоку"),
    ("Ми живемо в Білостоці.", "city", "Білостоці"),
    ("We now live in Belostok.", "city", "Belostok"),
    ("mieszkamy w Bialymstoku", "city", "Bialymstoku"),
    # Markdown splits: one word for the reader.
    ("My name is Kava**liou**.", "legal_surname", "Kava**liou"),
    ("My name is Kava*liou*.", "legal_surname", "Kava*liou"),
    ("My name is Kava`liou`.", "legal_surname", "Kava`liou"),
    (
        "My name is [Kava](https://example.org)liou.",
        "legal_surname",
        "Kava](https://example.org)liou",
    ),
    ("My name is Kava<b></b>liou.", "legal_surname", "Kava<b></b>liou"),
    ("My name is Kava<!-- x -->liou.", "legal_surname", "Kava<!-- x -->liou"),
    ("Call 600**100**200 today.", "phone", "600**100**200"),
    ("Call 600<i>100</i>200 today.", "phone", "600<i>100</i>200"),
    # Character references.
    ("Write to alexander.k&#64;example.net.", "email", "alexander.k&#64;example.net"),
    ("Write to alexander.k&#x40;example.net.", "email", "alexander.k&#x40;example.net"),
    ("Write to alexander.k&commat;example.net.", "email", "alexander.k&commat;example.net"),
    (
        "Write to alexander&period;k&#64;example&#46;net.",
        "email",
        "alexander&period;k&#64;example&#46;net",
    ),
    ("Мяне завуць &#1050;авалёў.", "legal_surname", "&#1050;авалёў"),
    # Invisible characters inside a name.
    ("My name is Kava\u200bliou.", "legal_surname", "Kava\u200bliou"),
    ("My name is Kava\u200dliou.", "legal_surname", "Kava\u200dliou"),
    ("My name is Kava\u2060liou.", "legal_surname", "Kava\u2060liou"),
    ("My name is Kava\ufeffliou.", "legal_surname", "Kava\ufeffliou"),
    ("My name is Kava\u00adliou.", "legal_surname", "Kava\u00adliou"),
    ("My name is Kava\u180eliou.", "legal_surname", "Kava\u180eliou"),
    ("My name is Kava\ufe0fliou.", "legal_surname", "Kava\ufe0fliou"),
    ("My name is Kava\u034fliou.", "legal_surname", "Kava\u034fliou"),
    ("My name is Kava&#8203;liou.", "legal_surname", "Kava&#8203;liou"),
    # Letters spaced out or joined with separators.
    ("My name is K a v a l i o u.", "legal_surname", "K a v a l i o u"),
    ("My name is K.a.v.a.l.i.o.u.", "legal_surname", "K.a.v.a.l.i.o.u"),
    ("My name is K-a-v-a-l-i-o-u.", "legal_surname", "K-a-v-a-l-i-o-u"),
    ("My name is K_a_v_a_l_i_o_u.", "legal_surname", "K_a_v_a_l_i_o_u"),
    ("My name is K/a/v/a/l/i/o/u.", "legal_surname", "K/a/v/a/l/i/o/u"),
    ("My name is K·a·v·a·l·i·o·u.", "legal_surname", "K·a·v·a·l·i·o·u"),
    ("My name is Kava-liou.", "legal_surname", "Kava-liou"),
    ("My name is Kava liou.", "legal_surname", "Kava liou"),
    ("My name is Kav aliou.", "legal_surname", "Kav aliou"),
    ("Мяне завуць К а в а л ё ў.", "legal_surname", "К а в а л ё ў"),
    ("Call 6 0 0 1 0 0 2 0 0.", "phone", "6 0 0 1 0 0 2 0 0"),
    # Look-alike letters and other forms of the same letters.
    ("My name is \u039aavaliou.", "legal_surname", "\u039aavaliou"),  # Greek Kappa
    ("My name is \u039a\u0391V\u0391L\u0399\u039fU.", "legal_surname", "ΚΑVΑLΙΟU"),  # Greek
    ("My name is K\u0430v\u0430liou.", "legal_surname", "Kаvаliou"),  # Cyrillic а
    ("My name is Kaval\u0131ou.", "legal_surname", "Kavalıou"),  # dotless ı
    ("Мяне завуць K\u0430в\u0430лёў.", "legal_surname", "Kавалёў"),  # Latin K
    ("My name is ＫＡＶＡＬＩＯＵ.", "legal_surname", "ＫＡＶＡＬＩＯＵ"),  # full-width
    ("My name is 𝐊𝐚𝐯𝐚𝐥𝐢𝐨𝐮.", "legal_surname", "𝐊𝐚𝐯𝐚𝐥𝐢𝐨𝐮"),  # mathematical bold
    ("My name is ⓀⒶⓋⒶⓁⒾⓄⓊ.", "legal_surname", "ⓀⒶⓋⒶⓁⒾⓄⓊ"),  # circled
    ("My name is Kavale\u0308u.", "legal_surname", "Kavale\u0308u"),  # NFD
    # Digits of other forms and scripts.
    ("Call ６００ １００ ２００.", "phone", "６００ １００ ２００"),
    ("Call ٦٠٠ ١٠٠ ٢٠٠.", "phone", "٦٠٠ ١٠٠ ٢٠٠"),  # Arabic-Indic
    ("Call ۶۰۰۱۰۰۲۰۰.", "phone", "۶۰۰۱۰۰۲۰۰"),  # Extended Arabic-Indic (Persian)
    ("Call ६००१००२००.", "phone", "६००१००२००"),  # Devanagari
    ("Call 𝟔𝟎𝟎 𝟏𝟎𝟎 𝟐𝟎𝟎.", "phone", "𝟔𝟎𝟎 𝟏𝟎𝟎 𝟐𝟎𝟎"),
    ("Call 6OO 1OO 2OO.", "phone", "6OO 1OO 2OO"),  # letter O for zero
    ("Born ١٢.٠٤.١٩٧٩.", "date_of_birth", "١٢.٠٤.١٩٧٩"),
    # Hidden in a link target or an image: the API serves the source.
    ("[write to me](mailto:alexander.k@example.net)", "email", "alexander.k@example.net"),
    ("[write](mailto:alexander.k%40example.net)", "email", "alexander.k%40example.net"),
    ("![Kavaliou at home](photo.png)", "legal_surname", "Kavaliou"),
    ('[page](https://example.org "Kavaliou")', "legal_surname", "Kavaliou"),
]


@pytest.mark.parametrize(("text", "kind", "points_at"), TRICKS)
def test_each_trick_is_caught_where_it_was_written(text, kind, points_at):
    assert found(text) == [(kind, points_at)]


def test_every_trick_of_the_issue_in_one_update_body():
    """The update of the issue's first paragraph, each trick once."""
    body = (
        "Dziękujemy! Mieszkamy teraz w Białymstoku.\n\n"
        "Pozdrowienia od Kava**liou**, tel. 600**100**200, "
        "mail alexander.k&#64;example.net.\n\n"
        "Kava\u200bliou, K a v a l i o u, \u039aavaliou, ６００ １００ ２００."
    )
    findings = scan(body, field="body_markdown")
    assert sorted(f.kind for f in findings) == [
        "city",
        "email",
        "legal_surname",
        "legal_surname",
        "legal_surname",
        "legal_surname",
        "phone",
        "phone",
    ]
    assert all(f.field == "body_markdown" for f in findings)
    # Each points at the place the author wrote, and the context shows that place marked.
    for f in findings:
        assert f"[[{' '.join(body[f.start : f.end].split())}]]" in f.context


def test_the_title_and_summary_are_scanned_like_the_story():
    private = safety.private_values_of(seed_person(), SEED_CONSENT)
    texts = {
        "en:title": "Help K a v a l i o u",
        "en:summary": "A family in Białymstoku",
        "slug": "help kava liou",
    }
    assert sorted((f.field, f.kind) for f in safety.scan_texts(texts, private)) == [
        ("en:summary", "city"),
        ("en:title", "legal_surname"),
        ("slug", "legal_surname"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Alexander (his public name) now lives in Poland.",
        "**Alexander** thanks you; *Volha* and `Mikita` too.",
        "A kava bar, the lioness, a cavalier: K. and L. are initials.",
        "Numbers: 600, 100, 200 zł are amounts, 1600100200 an account, 600 100 20 short.",
        "Born in 1979; in April 2012 he left; 12 IV 1980 is not his birthday.",
        "Write to office@example.net or to k@example.net.",
        "In **Bialowieza** forest, near Białowieża, not in the city.",
    ],
)
def test_ordinary_text_and_markup_are_not_findings(text):
    assert found(text) == []
