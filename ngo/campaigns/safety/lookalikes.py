"""Letters that look alike across scripts (Unicode TR39 confusables, `confusable-homoglyphs`).

A Greek Κ in "Κavaliou", a Cyrillic а in "Kаvaliou" or a Latin p in "Вapшава" look right to a
reader and defeat a plain comparison. A TR39 skeleton would fold everything onto Latin
prototypes, but the project compares Cyrillic and Latin by *sound* (names.skeleton: Кавалёў and
Kavaliou, р is r): folding the Cyrillic р of "Варшава" onto the Latin p it looks like would break
that. So only a word that mixes scripts is folded, and onto the script most of its letters are
in: "Kаvaliou" becomes all Latin, "Вapшава" all Cyrillic. Letters of other scripts (Greek,
Armenian, Cherokee...) and Latin oddities such as dotless ı have no sound mapping in
names.skeleton, so they are always folded onto the look-alike of the word's script.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from confusable_homoglyphs import confusables

_CYRILLIC = re.compile(r"[\u0400-\u052f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


def _is_basic_latin_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _has_latin_base(ch: str) -> bool:
    """ą, é, ž: the accent comes off in names.skeleton, the letter is not a look-alike."""
    base = unicodedata.normalize("NFKD", ch)[:1]
    return _is_basic_latin_letter(base)


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], re.Pattern[str]]:
    """(to Latin, to Cyrillic, words needing a look), built once from the TR39 data."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1 or not char.isalpha():
            continue
        for glyph in glyphs:
            other = glyph["c"]
            if len(other) == 1 and other.isalpha():
                parent[find(char)] = find(other)
    classes: dict[str, list[str]] = {}
    for char in list(parent):
        classes.setdefault(find(char), []).append(char)

    def pick(members: list[str], char: str, wanted: Callable[[str], bool]) -> str | None:
        candidates = sorted(m for m in members if wanted(m))
        same_case = [m for m in candidates if m.isupper() == char.isupper()]
        chosen = same_case or candidates
        return chosen[0] if chosen else None

    to_latin: dict[str, str] = {}
    to_cyrillic: dict[str, str] = {}
    for members in classes.values():
        for char in members:
            if not _is_basic_latin_letter(char) and not _has_latin_base(char):
                latin = pick(members, char, _is_basic_latin_letter)
                if latin:
                    to_latin[char] = latin
            # TR39 puts l with I and І; an l among Cyrillic letters is still an L.
            if not _is_cyrillic(char) and char != "l":
                cyrillic = pick(members, char, lambda m: "\u0400" <= m <= "\u045f")
                if cyrillic:
                    to_cyrillic[char] = cyrillic
    # Only the Basic Multilingual Plane: a class of it compiles to a bitmap, one step per
    # character; the astral look-alikes (mathematical letters) are plain letters after NFKC.
    others = "".join(
        re.escape(c)
        for c in sorted(to_latin)
        if not _is_cyrillic(c) and not c.isascii() and ord(c) <= 0xFFFF
    )
    return to_latin, to_cyrillic, re.compile(f"[{others}]")


# Where a Latin letter touches a Cyrillic one: every word mixing the two has such a place.
_BOUNDARY = re.compile(
    r"[A-Za-z\u00c0-\u024f](?=[\u0400-\u052f])|[\u0400-\u052f](?=[A-Za-z\u00c0-\u024f])"
)


def _word_around(text: str, i: int) -> tuple[int, int]:
    start = end = i
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    return start, end


def suspicious_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of the words mixing Latin and Cyrillic letters or holding a look-alike
    from another script, in text order."""
    found: set[tuple[int, int]] = set()
    for pattern in (_BOUNDARY, _tables()[2]):
        end = -1
        for m in pattern.finditer(text):
            if m.start() < end:
                continue  # in the word found last: each word is walked once
            span = _word_around(text, m.start())
            found.add(span)
            end = span[1]
    return sorted(found)


def fold_word(word: str) -> str:
    """The word with every letter in one script: the one whose fold leaves fewer letters
    without a look-alike in it (Greek ν and υ, Latin l in "Каνаlіоυ" have no Cyrillic one; л
    in "Boльгa" no Latin one), else the script most of its letters are in (Latin on a tie)."""
    to_latin, to_cyrillic, _ = _tables()
    as_cyrillic = "".join(ch if _is_cyrillic(ch) else to_cyrillic.get(ch, ch) for ch in word)
    as_latin = "".join(
        ch if _is_basic_latin_letter(ch) or _has_latin_base(ch) else to_latin.get(ch, ch)
        for ch in word
    )
    left_in_cyrillic = sum(1 for ch in as_cyrillic if ch.isalpha() and not _is_cyrillic(ch))
    left_in_latin = sum(
        1
        for ch in as_latin
        if ch.isalpha() and not (_is_basic_latin_letter(ch) or _has_latin_base(ch))
    )
    if left_in_cyrillic != left_in_latin:
        return as_cyrillic if left_in_cyrillic < left_in_latin else as_latin
    cyrillic = len(_CYRILLIC.findall(word))
    latin = len(_LATIN.findall(word))
    return as_cyrillic if cyrillic > latin else as_latin


def variants(ch: str) -> str:
    """The letter and its look-alikes in Latin and Cyrillic: for values whose letters are
    codes, not words (document numbers: MP and МР look the same)."""
    to_latin, to_cyrillic, _ = _tables()
    found = {ch, to_latin.get(ch, ch), to_cyrillic.get(ch, ch)}
    found |= {to_cyrillic.get(c, c) for c in list(found)}
    return "".join(sorted(found))
