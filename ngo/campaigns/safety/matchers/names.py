"""Names and places: a private word is found in any script, spelling and inflected form.

Each private word becomes a WordKey:

- `exact`: its skeleton (names.skeleton: Кавалёў, Kavaliou, Kavaliow -> "kvl"), so that any
  transliteration is found. For Belarusian -ў surnames also the stem and the в-form.
- `prefixes`: a text word whose skeleton starts with one of these is a case form (Kavaliova,
  Кавалёвым, Белостоке); only for skeletons of 4+ letters, shorter ones are too common.
- `forms`: the loose forms (vowels kept) of every form the dictionaries generate, and of the
  other names of a city (morphology, places). Compared with vowels kept, because a skeleton of
  a generated form is often an ordinary word (Wilnach and wolnych are both "vlnch"). A
  generated form whose skeleton is long (6+) and not just the base skeleton extended, i.e. the
  stem itself changed (Białymstoku "blmstk", Białegostoku "blhstk"), also counts by skeleton,
  so its transliterations are found.

All keys of all private values go into one NameIndex, so that each word of a text is looked up
once, with a few dictionary lookups, whatever the number of private values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ngo.campaigns.safety import morphology, places
from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.normalise import SEPARATOR_GAP
from ngo.campaigns.safety.values import CITY, HOUSEHOLD_NAME
from ngo.campaigns.safety.words import WORD, keys, name_words, sub_words, u_stem

# Stem-changing generated forms count by skeleton from this length on.
_GENERATED_SKELETON_MIN = 6
# At most this many written pieces are joined back into one word ("Kava liou", "K a v a").
_CHAIN_MAX = 8


@dataclass(frozen=True)
class WordKey:
    exact: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()

    def matches(self, word: str) -> bool:
        skeleton, loose = keys(word)
        return (
            skeleton in self.exact
            or loose in self.forms
            or any(skeleton.startswith(p) for p in self.prefixes)
        )


def _generated(word: str, base_skeleton: str) -> tuple[set[str], set[str]]:
    """(loose forms, stem-changed skeletons) of the dictionary forms of a word."""
    loose_forms: set[str] = set()
    skeletons: set[str] = set()
    for form in morphology.forms(word):
        skeleton, loose = keys(form)
        loose_forms.add(loose)
        if len(skeleton) >= _GENERATED_SKELETON_MIN and not skeleton.startswith(base_skeleton):
            skeletons.add(skeleton)
    return loose_forms, skeletons


def word_key(word: str, *, declinable: bool) -> WordKey | None:
    """How one private word is recognised. `declinable` lets a text word that starts with the
    private skeleton match (case forms: Kavaliou -> Kavaliova)."""
    skeleton, loose = keys(word)
    if len(loose) < 2:
        return None  # an initial ("A.") would match every "a" of the text
    forms, changed = _generated(word, skeleton)
    if len(skeleton) <= 2:
        return WordKey(forms=frozenset(forms))  # short: "Li" is "l", like "lay"; vowels kept
    exact = {skeleton} | changed
    prefixes: set[str] = set()
    if declinable:
        if len(skeleton) >= 4:
            prefixes.add(skeleton)
        stem = u_stem(word)
        if stem is not None:
            exact.add(keys(stem)[0])  # Kavaliov given, Kavaliou written
            v_form = keys(stem + "v")[0]  # Kavaliou given, Kavaliova written
            (prefixes if len(v_form) >= 4 else exact).add(v_form)
    return WordKey(frozenset(exact), frozenset(prefixes), frozenset(forms))


def other_name_key(word: str) -> WordKey | None:
    """A word of another name of the place (Belostok, Wilno): its forms with vowels kept, and
    long stem-changed skeletons; no prefixes, other names are many and some are short."""
    skeleton, loose = keys(word)
    if len(loose) < 3:
        return None
    forms, changed = _generated(word, skeleton)
    if len(skeleton) >= _GENERATED_SKELETON_MIN:
        changed.add(skeleton)
    return WordKey(frozenset(changed), frozenset(), frozenset(forms))


@dataclass(frozen=True)
class NameMatcher:
    """A private name: any of its variants, each a sequence of word keys (a two-word city, a
    full legal name), found as consecutive words."""

    kind: str
    variants: tuple[tuple[WordKey, ...], ...]


def name_matcher(kind: str, raw: str) -> NameMatcher | None:
    declinable = kind != HOUSEHOLD_NAME  # first names are short and common: whole words only
    variants: list[tuple[WordKey, ...]] = []
    own = tuple(k for w in name_words(raw) if (k := word_key(w, declinable=declinable)))
    if own:
        variants.append(own)
    if kind == CITY:
        for name in places.other_names(raw):
            other = [other_name_key(w) for w in name_words(name)]
            if other and all(other):
                variants.append(tuple(k for k in other if k))
    return NameMatcher(kind, tuple(variants)) if variants else None


# (matcher number, variant number, position in the variant)
_Ref = tuple[int, int, int]


@dataclass
class NameIndex:
    matchers: Sequence[NameMatcher]
    skeletons: dict[str, list[_Ref]] = field(default_factory=dict)
    prefixes: dict[str, list[_Ref]] = field(default_factory=dict)
    forms: dict[str, list[_Ref]] = field(default_factory=dict)
    prefix_lengths: list[int] = field(default_factory=list)
    # Beginnings of skeletons and forms: where joining written pieces may lead to a name.
    starts: set[str] = field(default_factory=set)
    initials: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for m, matcher in enumerate(self.matchers):
            for v, variant in enumerate(matcher.variants):
                for p, key in enumerate(variant):
                    ref = (m, v, p)
                    for table, values in (
                        (self.skeletons, key.exact),
                        (self.prefixes, key.prefixes),
                        (self.forms, key.forms),
                    ):
                        for value in values:
                            table.setdefault(value, []).append(ref)
                            self.starts |= {value[:n] for n in range(1, len(value))}
                            self.initials.add(value[:1])
        self.prefix_lengths = sorted({len(p) for p in self.prefixes})

    def _single(self, ref: _Ref) -> bool:
        return len(self.matchers[ref[0]].variants[ref[1]]) == 1

    def lookup(self, word: str) -> set[_Ref]:
        skeleton, loose = keys(word)
        found = set(self.skeletons.get(skeleton, ()))
        found.update(self.forms.get(loose, ()))
        for n in self.prefix_lengths:
            if len(skeleton) < n:
                break
            found.update(self.prefixes.get(skeleton[:n], ()))
        return found

    def lookup_with_lemmas(self, word: str) -> set[_Ref]:
        found = self.lookup(word)
        if not found and keys(word)[1][:1] in self.initials:
            for lemma in morphology.lemmas(word):
                found |= self.lookup(lemma)
        return found

    def spans(self, text: Mapped) -> Iterator[tuple[int, int, str]]:
        """(start, end, kind) in the source of every name found in the normalised text."""
        raw = text.text
        words = [(m.start(), m.end()) for m in WORD.finditer(raw)]
        hits = [self.lookup_with_lemmas(raw[s:e]) for s, e in words]
        for (s, e), refs in zip(words, hits, strict=True):
            for ref in refs:
                if self._single(ref):
                    yield (*text.source_span(s, e), self.matchers[ref[0]].kind)
            for ps, pe in sub_words(raw, s, e):
                for ref in self.lookup(raw[ps:pe]):
                    if self._single(ref):
                        yield (*text.source_span(ps, pe), self.matchers[ref[0]].kind)
        yield from self._sequences(text, words, hits)
        yield from self._chains(text, words, hits)

    def _sequences(self, text: Mapped, words, hits) -> Iterator[tuple[int, int, str]]:
        """Consecutive words each matching its key, whatever punctuation or line breaks
        between them (a full legal name, a two-word city)."""
        for i, refs in enumerate(hits):
            for m, v, p in refs:
                length = len(self.matchers[m].variants[v])
                if p != 0 or length == 1 or i + length > len(words):
                    continue
                if all((m, v, k) in hits[i + k] for k in range(1, length)):
                    s, e = words[i][0], words[i + length - 1][1]
                    yield (*text.source_span(s, e), self.matchers[m].kind)

    def _chains(self, text: Mapped, words, hits) -> Iterator[tuple[int, int, str]]:
        """A name written in pieces with spaces or separators between them ("Kava liou",
        "K a v a liou"). Pieces are joined only while the result is still the beginning of
        a private skeleton or form, and only if one of them is not a word of its own (two
        real words side by side, "key valley", are ordinary text)."""
        raw = text.text
        for i, (s, _) in enumerate(words):
            joined = raw[s : words[i][1]]
            if not self.starts.intersection(keys(joined)):
                continue
            best: tuple[int, set[_Ref]] | None = None
            for j in range(i + 1, min(i + _CHAIN_MAX, len(words))):
                if not SEPARATOR_GAP.fullmatch(raw[words[j - 1][1] : words[j][0]]):
                    break
                joined += raw[words[j][0] : words[j][1]]
                refs = {r for r in self.lookup(joined) if self._single(r)}
                if refs:
                    best = (j, refs)
                elif not self.starts.intersection(keys(joined)):
                    break
            if best is None:
                continue
            j, refs = best
            pieces = [raw[a:b] for a, b in words[i : j + 1]]
            if not any(len(piece) <= 2 or not morphology.is_word(piece) for piece in pieces):
                continue
            for m, _, _ in refs:
                yield (*text.source_span(s, words[j][1]), self.matchers[m].kind)

