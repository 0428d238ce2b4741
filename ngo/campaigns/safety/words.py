"""Words and their comparable forms, on top of the project's transliteration folding.

`names.skeleton` folds Cyrillic and the Latin spellings of a name to one consonant skeleton
(Кавалёў, Kavaliou, Kovalev -> "kvl"/"kvlv"): that is what lets a surname written in any script
be found. `loose` is the same folding with the vowels kept, for short names and for the forms
a dictionary generated (where dropping vowels would make "Wilnach" equal "wolnych").
"""

from __future__ import annotations

import functools
import itertools
import re

from ngo.cases import names

# Letters, plus combining accents left over after NFKC and apostrophes inside a word
# (Belarusian Вераб'ёў, English Kavaliou's).
_LETTER = r"(?:[^\W\d_]|[\u0300-\u036f])"
WORD = re.compile(rf"{_LETTER}+(?:['’ʼ]{_LETTER}+)*")
# Words and numbers, for street addresses.
TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def name_words(text: str) -> list[str]:
    return [m.group() for m in WORD.finditer(text)]


# Letters with a háček (Belarusian Łacinka, Czech, Lithuanian: Laŭrynovič, Ściapančuk) stand
# for ч, ш, ж; names.fold_to_latin would only strip the accent (č -> c).
_HACEK = str.maketrans({"č": "ch", "Č": "Ch", "š": "sh", "Š": "Sh", "ž": "zh", "Ž": "Zh"})


@functools.lru_cache(maxsize=1 << 16)
def keys(word: str) -> tuple[str, str]:
    """(skeleton, loose) of one word; cached, a story repeats its words."""
    word = word.translate(_HACEK)
    folded = names.fold_to_latin(word)
    return names.skeleton(word), re.sub(r"(.)\1+", r"\1", folded)


# Belarusian ц, дз before a soft vowel are Russian and Ukrainian т, д (Сцяпан, Степан).
_TSEKANNE = re.compile(r"(ц|дз)(?=[яеёіюь])", re.IGNORECASE)
_SOFT_INITIAL = {"е": "йе", "Е": "Йе", "є": "йе", "Є": "Йе"}


def spellings(word: str) -> set[str]:
    """Other ways the same name is spelled from its Cyrillic form, which the folding of
    names.skeleton does not equate: х written as Polish "ch" (Міхалевіч, Michalewicz; English
    "ch" is ч), ё as "yo"/"o" (Кавалёў, Kovalyov, Kowalow), an initial е as "ye" (Евгения,
    Yevgeniya), and the Russian spelling of Belarusian ц/дз (Сцяпанчук, Степанчук)."""
    found = {word}
    if "х" in word.lower():
        found.add(word.replace("х", "ch").replace("Х", "Ch"))
    if "ё" in word.lower():
        found |= {word.replace("ё", "йо"), word.replace("ё", "о")}
    if word[:1] in _SOFT_INITIAL:
        found.add(_SOFT_INITIAL[word[0]] + word[1:])
    if _TSEKANNE.search(word):
        found.add(_TSEKANNE.sub(lambda m: "т" if m.group()[0] in "цЦ" else "д", word))
    return found


def skeleton(word: str) -> str:
    return keys(word)[0]


def loose(word: str) -> str:
    """The folding of names.skeleton with the vowels kept.

    Skeletons of very short names are one or two consonants ("Li" and "lay" are both "l"), so
    short names are compared on this form instead; it still equates Лі and Li, Ян and Jan.
    """
    return keys(word)[1]


_VOWELS = set("aeiouyаеёиоуыэюяіїєɑ")
# Belarusian -ў surnames (Кавалёў, Kavaliou, Kavaliow) decline with в: Кавалёва, Kavaliovu.
_U_ENDINGS = set("ўuwvв")


def u_stem(word: str) -> str | None:
    """The word without its final -ў/-u/-w/-v/-в after a vowel, else None."""
    lower = word.lower()
    if len(lower) >= 3 and lower[-1] in _U_ENDINGS and lower[-2] in _VOWELS:
        return word[:-1]
    return None


def comparison_skeletons(word: str) -> set[str]:
    """Skeletons by which a legal-name word is recognised as a word of the public name."""
    found = {skeleton(word)}
    stem = u_stem(word)
    if stem is not None:
        found |= {skeleton(stem), skeleton(stem + "v")}
    return {s for s in found if s}


_APOSTROPHE = re.compile(r"['’ʼ]")


def sub_words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of one written word that are words of their own: #FreeKavaliou and
    AlexanderKavaliou (camel case), Kavaliou's (English possessive)."""
    word = text[start:end]
    apostrophe = _APOSTROPHE.search(word)
    if apostrophe is None and (word[1:].islower() or word.isupper() or len(word) < 4):
        return []  # most words: one case after the first letter, nothing inside
    cuts = [start]
    for i in range(start + 1, end):
        if text[i].isupper() and text[i - 1].islower():
            cuts.append(i)
    cuts.append(end)
    parts = list(itertools.pairwise(cuts)) if len(cuts) > 2 else []
    if apostrophe is not None:
        parts.append((start, start + apostrophe.start()))
    return parts
