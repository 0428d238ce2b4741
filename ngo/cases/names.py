"""Name normalisation for blind-index search.

A name written in Cyrillic (Belarusian, Russian, Ukrainian) and its usual Latin spellings
(Polish, English, passport transliteration) reduce to the same skeleton, so each is found by
the others: Аляксандр, Aliaksandr and Alaksandr; Зяльцэр, Zeltser, Zelcer. The skeleton is only
ever hashed (see crypto.blind_index), never stored.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "e",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f",
    "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "i", "ь": "", "э": "e",
    "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "",
}  # fmt: skip

# Latin spellings of the same sounds, longest first, folded onto one form. Belarusian and
# Ukrainian write г as h, Russian as g: both become h.
_LATIN_VARIANTS = [
    ("szcz", "shch"), ("shch", "shch"), ("sch", "sh"), ("tsch", "ch"), ("tch", "ch"),
    ("cz", "ch"), ("sz", "sh"), ("rz", "zh"), ("ż", "zh"), ("ź", "z"), ("ś", "s"), ("ć", "c"),
    ("ł", "l"), ("ń", "n"), ("kh", "h"), ("ch", "ch"), ("zh", "zh"), ("ts", "c"), ("tz", "c"),
    ("x", "ks"), ("w", "v"), ("ph", "f"), ("q", "k"), ("y", "i"), ("j", "i"), ("g", "h"),
]  # fmt: skip

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # ў and й lose their breve in NFKD; they were transliterated before this runs.
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_to_latin(word: str) -> str:
    """One word in lowercase Latin letters, with spelling variants folded (vowels kept)."""
    word = word.lower()
    word = "".join(_CYRILLIC.get(ch, ch) for ch in word)
    for latin, folded in _LATIN_VARIANTS:
        word = word.replace(latin, folded)
    word = strip_accents(word)
    return re.sub(r"[^a-z]", "", word)


def skeleton(word: str) -> str:
    """The comparable form of one word of a name."""
    word = fold_to_latin(word)
    # Vowels after the first letter vary most between transliterations (ia/ya/a, e/ie);
    # dropping them, and doubled consonants, leaves what the spellings agree on.
    if len(word) > 1:
        word = word[0] + re.sub(r"[aeiou]", "", word[1:])
    return re.sub(r"(.)\1+", r"\1", word)


def name_tokens(name: str) -> set[str]:
    """The skeletons of every word of a name; searching needs all query words to match."""
    return {s for s in (skeleton(w) for w in _WORD.findall(name)) if s}
