"""Readable public slugs for organisations: "Fundacja Wolność" -> "fundacja-wolnosc".

Organisations are public bodies that want to be found, so their address is readable (unlike a
beneficiary's appeal, whose slug reveals nothing). Letters of the site's languages are written
in Latin letters (Polish diacritics dropped, Cyrillic transliterated after the usual passport
tables of Belarus, Russia and Ukraine, simplified), everything else becomes a hyphen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

SLUG_MAX = 64
SLUG_MIN = 3
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "'": "", "’": "",
}  # fmt: skip
# Letters NFKD does not take apart.
_LATIN = {"ł": "l", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "œ": "oe"}


def slugify(name: str) -> str:
    """The slug a name reads as; "organisation" if nothing of it is a letter or digit."""
    letters = []
    for char in name.lower():
        char = _CYRILLIC.get(char, _LATIN.get(char, char))
        letters.append(unicodedata.normalize("NFKD", char))
    ascii_text = "".join(letters).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    return slug if len(slug) >= SLUG_MIN else (slug + "-organisation").strip("-")


def unique_slug(base: str, taken: Collection[str]) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not taken."""
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def is_valid_slug(slug: str) -> bool:
    return SLUG_MIN <= len(slug) <= SLUG_MAX and bool(SLUG_PATTERN.match(slug))
