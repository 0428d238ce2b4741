"""How one private word of a name or place is recognised in any script, spelling and form.

Each private word becomes a WordKey:

- `exact`: its skeleton (names.skeleton: Кавалёў, Kavaliou, Kavaliow -> "kvl"), so that any
  transliteration is found. For Belarusian -ў surnames also the stem and the в-form.
- `prefixes`: a text word whose skeleton is one of these plus at most two letters is a case
  form (Kavaliova, Кавалёвым, Белостоке; endings add "m", "v", "ch"...); only for skeletons of
  4+ letters, shorter ones are too common.
- `forms`: the loose forms (vowels kept) of every form the dictionaries generate, and of the
  other names of a city (morphology, places). Compared with vowels kept, because a skeleton of
  a generated form is often an ordinary word (Wilnach and wolnych are both "vlnch"). A
  generated form whose skeleton is long (6+) and not just the base skeleton extended, i.e. the
  stem itself changed (Białymstoku "blmstk", Białegostoku "blhstk"), also counts by skeleton,
  so its transliterations are found.

A skeleton of three letters or fewer is shared by many ordinary words (Parisa and "press",
Łódź and "ludzi", Сеітава and "состав"), so a word matching only by such a skeleton must also
be near, with vowels kept, to one of the value's own spellings (`near`: edit distance at most a
quarter of the length): Kavaliow is near Кавалёв, "kowal" is not near Кавалёў. Likewise a
case form by a four-letter prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ngo.campaigns.safety import morphology
from ngo.campaigns.safety.words import keys, spellings, u_stem

# Stem-changing generated forms count by skeleton from this length on.
_GENERATED_SKELETON_MIN = 6
# A case ending adds at most this many letters to the skeleton (-ym "m", -ach "ch").
_ENDING_MAX = 2
# Skeletons this short need the spelling to be near too.
_SHORT_SKELETON = 3
# What a case ending adds to a skeleton, in Polish, the East Slavic languages, Lithuanian and
# German: -em, -ym, -ami "m"; -owi, -owa, -ów "v"; -ego, -ах "h"; -ach "ch"; -as, -s "s". A
# derivational suffix is no ending: Kowalewski ("kvlv" + "sk") is another surname than
# Кавалёў, whose case forms Kowalowa, Kowalowem are "kvlv", "kvlvm".
_ENDING = re.compile(r"(?:m|v|h|ch|s)*")


@dataclass(frozen=True)
class WordKey:
    exact: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()
    near: frozenset[str] = frozenset()  # spellings a short-skeleton match must be near

    def matches(self, word: str) -> bool:
        skeleton, loose = keys(word)
        return (
            loose in self.forms
            or (skeleton in self.exact and self.confirms(skeleton, loose))
            or any(self.confirms_case_form(skeleton, loose, p) for p in self.prefixes)
        )

    def confirms(self, skeleton: str, loose: str) -> bool:
        """A short skeleton is not enough: the spelling must be near the value's own."""
        if len(skeleton) > _SHORT_SKELETON:
            return True
        return any(near(loose, spelling) for spelling in self.near)

    def confirms_case_form(self, skeleton: str, loose: str, prefix: str) -> bool:
        """The skeleton is the prefix plus an ending; for a prefix of four letters the word
        without its ending must also be near a spelling of the value ("wolności" is not a
        form of Vilnius though "vlnsc" starts with "vlns")."""
        ending = skeleton[len(prefix) :]
        if (
            not skeleton.startswith(prefix)
            or len(ending) > _ENDING_MAX
            or not _ENDING.fullmatch(ending)
        ):
            return False
        if len(prefix) > _SHORT_SKELETON + 1:
            return True
        return any(
            near(loose[:cut], spelling)
            for spelling in self.near
            for cut in range(max(1, len(loose) - 3), len(loose) + 1)
        )


def near(a: str, b: str) -> bool:
    """Edit distance of two short words at most a quarter of the longer (at least 1).

    Hand-written: one bounded Levenshtein over words of a dozen letters; not worth a
    dependency."""
    limit = max(1, max(len(a), len(b)) // 4)
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _generated(
    word: str, base_skeleton: str, *, singular: bool = False
) -> tuple[set[str], set[str]]:
    """(loose forms, stem-changed skeletons) of the dictionary forms of a word."""
    loose_forms: set[str] = set()
    skeletons: set[str] = set()
    for form in morphology.forms(word, singular=singular):
        skeleton, loose = keys(form)
        loose_forms.add(loose)
        if len(skeleton) >= _GENERATED_SKELETON_MIN and not skeleton.startswith(base_skeleton):
            skeletons.add(skeleton)
    return loose_forms, skeletons


def word_key(word: str, *, declinable: bool, place: bool = False) -> WordKey | None:
    """How one private word is recognised. `declinable` lets a text word that starts with the
    private skeleton match (case forms: Kavaliou -> Kavaliova). A `place` is also found by its
    adjective (Белосток -> белостокской, Warszawa -> warszawski, Białystok -> białostockim:
    the Polish -k- of -stok becomes -c- before -ki); no dictionary here links a place to its
    adjective (morfeusz2 and pymorphy3 give each its own lemma)."""
    skeleton, loose = keys(word)
    if len(loose) < 2:
        return None  # an initial ("A.") would match every "a" of the text
    forms, changed = _generated(word, skeleton, singular=not declinable)
    if len(skeleton) <= 2:
        return WordKey(forms=frozenset(forms))  # short: "Li" is "l", like "lay"; vowels kept
    exact = {skeleton} | changed
    prefixes: set[str] = set()
    near = {loose}
    for spelling in spellings(word):
        spelled, spelled_loose = keys(spelling)
        if len(spelled) > 2:
            exact.add(spelled)
            near.add(spelled_loose)
        if not declinable:
            continue
        if len(spelled) >= 4:
            prefixes.add(spelled)
        stem = u_stem(spelling)
        if stem is not None:
            exact.add(keys(stem)[0])  # Kavaliov given, Kavaliou written
            v_form, v_loose = keys(stem + "v")  # Kavaliou given, Kavaliova written
            (prefixes if len(v_form) >= 4 else exact).add(v_form)
            near.add(v_loose)
        if place and len(spelled) >= 4:
            prefixes |= {spelled + "sk", spelled + "ck"}
            if spelled.endswith("k"):
                prefixes.add(spelled[:-1] + "ck")
    return WordKey(
        frozenset(exact),
        frozenset(prefixes),
        frozenset(forms),
        frozenset(near),
    )


def other_name_key(word: str) -> WordKey | None:
    """A word of another name of the place (Belostok, Wilno): its forms with vowels kept, and
    long stem-changed skeletons; no prefixes, other names are many and some are short."""
    skeleton, loose = keys(word)
    if len(loose) < 4:
        return None
    forms, changed = _generated(word, skeleton)
    if len(skeleton) >= _GENERATED_SKELETON_MIN:
        changed.add(skeleton)
    return WordKey(frozenset(changed), frozenset(), frozenset(forms))
