"""From the text a reader sees to the text the matchers read, keeping the map to the source.

1. Invisible characters out: format characters (Unicode category Cf: soft hyphen, zero-width
   space and joiners, word joiner, bidi controls, BOM, tag characters), U+180E, variation
   selectors, the combining grapheme joiner, Hangul fillers, the blank Braille pattern. A reader
   sees "Kava\u200bliou" as one word, so it is one word here.
2. NFKC, per character cluster: full-width and mathematical letters and digits, ligatures,
   decomposed accents (NFD "e" + U+0308) become their plain forms; any Unicode decimal digit
   (Arabic-Indic, Devanagari...) becomes its ASCII digit, which NFKC leaves alone.
3. Look-alike letters folded where a word mixes scripts (see lookalikes).
4. Runs of whitespace collapsed to one space (a newline if they hold one).

`joined` then makes the copy with the separators people put between letters removed.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ngo.campaigns.safety import lookalikes
from ngo.campaigns.safety.mapped import Mapped

# Code points that can be assigned: the planes in use and the variation selectors supplement.
_PLANES = ((0, 0x32400), (0xE0000, 0xE0200))
# Invisible, yet outside category Cf.
_ALSO_INVISIBLE = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef"
)


def _class(code_points: list[int]) -> str:
    ranges: list[list[int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(invisible characters, clusters NFKC or digit folding changes, the same when there is
    no combining mark, non-ASCII decimal digits), from unicodedata."""
    invisible: list[int] = []
    combining: list[int] = []
    unstable: list[int] = []
    digits: list[int] = []
    for low, high in _PLANES:
        for cp in range(low, high):
            ch = chr(cp)
            category = unicodedata.category(ch)
            if category in ("Cn", "Co", "Cs"):
                continue
            if category == "Cf":
                invisible.append(cp)
            elif category[0] == "M":
                combining.append(cp)
            if category == "Nd" and cp > 0x7F:
                digits.append(cp)
            if (category == "Nd" and cp > 0x7F) or unicodedata.normalize("NFKC", ch) != ch:
                unstable.append(cp)
    # Classes of the Basic Multilingual Plane only compile to a bitmap (one step per
    # character); any character beyond it is offered to NFKC, which leaves most alone.
    bmp = 0xFFFF
    astral = "\U00010000-\U0010ffff"
    unstable_bmp = _class([cp for cp in unstable if cp <= bmp])
    combining_bmp = _class([cp for cp in combining if cp <= bmp])
    return (
        re.compile(f"[{_class(invisible)}{_ALSO_INVISIBLE}]+"),
        re.compile(f"(?:[{unstable_bmp}{astral}]|.[{combining_bmp}]+)", re.DOTALL),
        re.compile(f"[{unstable_bmp}{astral}]"),
        re.compile(f"[{_class([cp for cp in digits if cp <= bmp])}{astral}]"),
    )


def _fold_cluster(match: re.Match[str]) -> str:
    folded = unicodedata.normalize("NFKC", match.group())
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in folded
    )


def _lookalike_edits(text: str) -> list[tuple[int, int, str]]:
    edits: dict[int, str] = {}
    for start, end in lookalikes.suspicious_words(text):
        word = text[start:end]
        folded = lookalikes.fold_word(word)
        for i, (old, new) in enumerate(zip(word, folded, strict=True)):
            if old != new:
                edits[start + i] = new
    return [(i, i + 1, new) for i, new in sorted(edits.items())]


_SPACES = re.compile(r"\s{2,}|[^\S ]")


def _space(match: re.Match[str]) -> str:
    return "\n" if any(ch in "\n\r\u2028\u2029\x0b\x0c\x85" for ch in match.group()) else " "


def normalise(text: Mapped) -> Mapped:
    invisible, clusters, unstable, digits = _patterns()
    text = text.sub(invisible, lambda m: "")
    if not text.text.isascii():
        if not unicodedata.is_normalized("NFKC", text.text):
            text = text.sub(clusters, _fold_cluster)
        elif digits.search(text.text):
            text = text.sub(unstable, _fold_cluster)
        text = text.rewrite(_lookalike_edits(text.text))
    return text.sub(_SPACES, _space)


# What people put between the letters of a word they split on purpose. Not "@" (e-mail) and
# not "," (lists of numbers are common; "600,100,200" is found by the phone matcher anyway).
_SEPARATORS = r"\-\u2010-\u2015_.·•*/\\|~+=:'\"`^’ʼ"
_IN_WORD = re.compile(rf"(?<=[^\W_])[{_SEPARATORS}]+(?=[^\W_])")
# Three or more single letters or digits with separators or spaces between them: "K a v a l i o
# u", "6 0 0 1 0 0". Only single characters, so that ordinary words are never run together.
_SPACED = re.compile(rf"(?<![^\W_])[^\W_](?:[\s{_SEPARATORS}]+[^\W_](?![^\W_])){{2,}}")
_NOT_ALNUM = re.compile(r"[\W_]+")
SEPARATOR_GAP = re.compile(rf"[\s{_SEPARATORS}]+")


# A word hyphenated at the end of a line ("Kava-\nliou"), after whitespace was collapsed.
_LINE_BREAK = re.compile(r"(?<=[^\W\d_])[\-\u2010\u2011] ?\n ?(?=[^\W\d_])")
_JOIN = re.compile(f"{_SPACED.pattern}|{_IN_WORD.pattern}|{_LINE_BREAK.pattern}")


def joined(text: Mapped) -> tuple[Mapped, list[int]] | None:
    """The copy with separators inside words and between spaced-out characters removed, and
    where it differs from `text`; None if it does not: "K.a.v.a.l.i.o.u", "Kava-liou",
    "K a v a l i o u" -> "Kavaliou"."""
    edits = [(m.start(), m.end(), _NOT_ALNUM.sub("", m.group())) for m in _JOIN.finditer(text.text)]
    if not edits:
        return None
    return text.rewrite_marked(edits)
