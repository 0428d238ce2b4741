"""Every form a name or place takes in Polish, Russian, Ukrainian and Belarusian text.

A city written "Białystok" in the case file is "w Białymstoku", "do Białegostoku" in a Polish
story and "в Белостоке" in a Russian one. The private value is a lemma, so its forms are
generated once (and cached per word) by the dictionaries made for this, rather than guessed with
hand-written stems:

- Polish: `morfeusz2` (SGJP dictionary; generate() gives every form of a known lemma).
- Russian and Ukrainian: `pymorphy3` (OpenCorpora and the Ukrainian dictionary; unknown words,
  as most Belarusian surnames are, get the paradigm predicted from their ending).
- Belarusian has no generator here (and simplemma has no Belarusian): a Belarusian word is
  also spelled the Russian way (ў -> в, і -> и, э -> е, ' -> ъ) and inflected by pymorphy3, so
  Кавалёў gives Кавалёва, Кавалёву, Кавалёвым, Беласток gives Беластоку. Forms where Belarusian
  endings differ from Russian ones (the Belarusian locative in -ы, -у after soft stems,
  consonant alternations such as г/з: Вольга -> Вользе) are not generated; the skeleton match
  (vowels dropped) still finds those that differ only in vowels.
- Other languages (Lithuanian, German, English): no generator; `simplemma` lemmatises the words
  of the text instead (see matchers.names).

Dictionaries load lazily, once per process. Morfeusz is a C++ object without documented thread
safety, so its calls are serialised.
"""

from __future__ import annotations

import functools
import re
import threading
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on first use: the dictionaries take a while to load
    import morfeusz2
    import pymorphy3

_CYRILLIC_WORD = re.compile(r"^[\u0400-\u052f'’ʼ]+$")
_LATIN_WORD = re.compile(r"^[A-Za-z\u00c0-\u024f]+$")
_BELARUSIAN = re.compile(r"[ўіэ'’ʼ]")
_BE_TO_RU = str.maketrans({"ў": "в", "і": "и", "э": "е", "'": "ъ", "’": "ъ", "ʼ": "ъ"})
_morfeusz_lock = threading.Lock()


@functools.cache
def _morfeusz() -> morfeusz2.Morfeusz:
    import morfeusz2

    return morfeusz2.Morfeusz()


@functools.cache
def _pymorphy(lang: str) -> pymorphy3.MorphAnalyzer:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@functools.lru_cache(maxsize=4096)
def forms(word: str, *, singular: bool = False) -> frozenset[str]:
    """The inflected forms of one word of a name or a place, as written (the word itself
    included); only the word itself if no dictionary knows or predicts it. `singular` for a
    first name, which stands for one person: the genitive plural of Евгения is Евгений, which
    in a text is the man's name."""
    found = {word}
    if _LATIN_WORD.match(word):
        found |= _polish(word, singular)
    elif _CYRILLIC_WORD.match(word):
        found |= _east_slavic(word, singular)
    return frozenset(found)


def _polish(word: str, singular: bool = False) -> set[str]:
    with _morfeusz_lock:
        morf = _morfeusz()
        generated = [g for g in morf.generate(word) if g[2] != "ign"]
        if not generated and word[:1].islower():
            generated = [g for g in morf.generate(word.capitalize()) if g[2] != "ign"]
    # Only forms of the word as a lemma: reading it as a form of some other lemma first
    # ("Lodze" as a form of "Log") brings in unrelated words.
    return {g[0] for g in generated if not (singular and ":pl:" in g[2])}


def _east_slavic(word: str, singular: bool = False) -> set[str]:
    found = _lexemes("ru", word, singular) | _lexemes("uk", word, singular)
    if _BELARUSIAN.search(word.lower()):
        found |= _lexemes("ru", word.lower().translate(_BE_TO_RU), singular)
    # The dictionaries give lowercase forms; match the capitalisation of the value.
    if word[:1].isupper():
        found = {f[:1].upper() + f[1:] for f in found}
    return found


def _lexemes(lang: str, word: str, singular: bool = False, limit: int = 3) -> set[str]:
    """Forms of the nouns and adjectives (surnames in -ский are adjectives) whose normal form
    is this word: the value is a lemma, so parses that read it as some other form are
    skipped."""
    key = word.lower().replace("ё", "е")
    found: set[str] = set()
    taken = 0
    for parse in _pymorphy(lang).parse(word):
        if parse.tag.POS not in ("NOUN", "ADJF"):
            continue
        if parse.normal_form.replace("ё", "е") == key:
            found |= {f.word for f in parse.lexeme if not (singular and "plur" in f.tag)}
        elif (
            parse.tag.gender == "femn"
            and "nomn" in parse.tag
            and (parse.tag.POS == "ADJF" or "Surn" in parse.tag)
        ):
            # A woman's surname (Сеїтова, Воробьёва) is the feminine of an adjective-like
            # lemma (сеїтовий): her forms are its feminine ones (Сеїтовою), not the man's.
            found |= {
                f.word
                for f in parse.lexeme
                if f.tag.gender == "femn" and not (singular and "plur" in f.tag)
            }
        else:
            continue
        taken += 1
        if taken >= limit:
            break
    return found


@functools.cache
def _simplemma() -> ModuleType:
    import simplemma

    return simplemma


# Languages whose words are lemmatised in the text: no generator above covers them, and
# beneficiaries live where they are spoken (Lithuania, Germany) or write in them (English).
LEMMA_LANGUAGES = ("lt", "de", "en")


@functools.lru_cache(maxsize=1 << 16)
def lemmas(word: str) -> frozenset[str]:
    """simplemma's lemmas of a text word in LEMMA_LANGUAGES (Vilniuje -> Vilnius), without the
    word itself; empty when it is no known form."""
    simplemma = _simplemma()
    found = {simplemma.lemmatize(word, lang=lang) for lang in LEMMA_LANGUAGES}
    return frozenset(f for f in found if f and f.lower() != word.lower())


@functools.lru_cache(maxsize=1 << 14)
def is_word(word: str) -> bool:
    """Whether a dictionary knows this as a word of its own (Polish, Russian, Ukrainian,
    English, German): two such words side by side are ordinary text, not a name split."""
    if _LATIN_WORD.match(word):
        with _morfeusz_lock:
            if any(a[2][2] != "ign" for a in _morfeusz().analyse(word)):
                return True
        simplemma = _simplemma()
        return any(simplemma.is_known(word, lang=lang) for lang in ("en", "de"))
    if _CYRILLIC_WORD.match(word):
        return any(_pymorphy(lang).word_is_known(word.lower()) for lang in ("ru", "uk"))
    return False


@functools.lru_cache(maxsize=1 << 14)
def known_as(word: str) -> tuple[frozenset[str], bool]:
    """(the lemmas of the Russian and Ukrainian given names the dictionaries read this word
    as first, in the nominative; whether they know it as a patronymic): Евгений is a man's
    name of its own, though also a rare plural form of Евгения; Михайлович a patronymic,
    not the surname Міхалевіч."""
    if not _CYRILLIC_WORD.match(word):
        return frozenset(), False
    names: set[str] = set()
    patronymic = False
    for lang in ("ru", "uk"):
        morph = _pymorphy(lang)
        if morph.word_is_known(word.lower()):
            parses = morph.parse(word)
            best = parses[0]
            if "Name" in best.tag and "nomn" in best.tag:
                names.add(best.normal_form)
            patronymic = patronymic or any("Patr" in p.tag for p in parses)
    return frozenset(names), patronymic
