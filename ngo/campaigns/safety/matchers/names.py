"""Names and places: a private word is found in any script, spelling and inflected form.

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
# A case ending adds at most this many letters to the skeleton (-ym "m", -ach "ch").
_ENDING_MAX = 2
# Skeletons this short need the spelling to be near too.
_SHORT_SKELETON = 3
# Joined pieces that spell a form this long exactly are a name even if each piece is a word
# ("Białym stoku" is Białymstoku; "але не" is only Алене by chance).
_LONG_FORM = 8
# Words whose matches an index remembers before it starts afresh.
_SEEN_MAX = 50_000


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
        return any(_near(loose, spelling) for spelling in self.near)

    def confirms_case_form(self, skeleton: str, loose: str, prefix: str) -> bool:
        """The skeleton is the prefix plus an ending; for a prefix of four letters the word
        without its ending must also be near a spelling of the value ("wolności" is not a
        form of Vilnius though "vlnsc" starts with "vlns")."""
        if not skeleton.startswith(prefix) or len(skeleton) - len(prefix) > _ENDING_MAX:
            return False
        if len(prefix) > _SHORT_SKELETON + 1:
            return True
        return any(
            _near(loose[:cut], spelling)
            for spelling in self.near
            for cut in range(max(1, len(loose) - 3), len(loose) + 1)
        )


def _near(a: str, b: str) -> bool:
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
    near = {loose}
    if declinable:
        if len(skeleton) >= 4:
            prefixes.add(skeleton)
        stem = u_stem(word)
        if stem is not None:
            exact.add(keys(stem)[0])  # Kavaliov given, Kavaliou written
            v_form, v_loose = keys(stem + "v")  # Kavaliou given, Kavaliova written
            (prefixes if len(v_form) >= 4 else exact).add(v_form)
            near.add(v_loose)
    return WordKey(frozenset(exact), frozenset(prefixes), frozenset(forms), frozenset(near))


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
    # What each word seen so far matched: stories repeat words, and each text is read in
    # several shapes (rendered, as written, without separators).
    _seen: dict[str, frozenset[_Ref]] = field(default_factory=dict)

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

    def _key(self, ref: _Ref) -> WordKey:
        m, v, p = ref
        return self.matchers[m].variants[v][p]

    def lookup(self, word: str, *, case_forms: bool = True) -> set[_Ref]:
        skeleton, loose = keys(word)
        found = set(self.forms.get(loose, ()))
        for ref in self.skeletons.get(skeleton, ()):
            if ref not in found and self._key(ref).confirms(skeleton, loose):
                found.add(ref)
        if not case_forms:
            return found
        for n in self.prefix_lengths:
            if len(skeleton) < n:
                break
            for ref in self.prefixes.get(skeleton[:n], ()):
                if ref not in found and self._key(ref).confirms_case_form(
                    skeleton, loose, skeleton[:n]
                ):
                    found.add(ref)
        return found

    def lookup_with_lemmas(self, word: str) -> frozenset[_Ref]:
        """lookup, and if nothing is found, the lookup of the word's simplemma lemmas."""
        seen = self._seen.get(word)
        if seen is not None:
            return seen
        found = self.lookup(word)
        if not found and keys(word)[1][:1] in self.initials:
            for lemma in morphology.lemmas(word):
                found |= self.lookup(lemma)
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        result = self._seen[word] = frozenset(found)
        return result

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
                for ref in self.lookup_with_lemmas(raw[ps:pe]):
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
        """A name written in pieces with spaces or separators between them on one line
        ("Kava liou", "Kav aliou"). Pieces are joined only while the result is still the
        beginning of a private skeleton or form, and only if one piece is not a word of its
        own (two real words side by side, "але не", "key valley", are ordinary text) or
        they spell a long form exactly ("Białym stoku", "Belo stok"). A case
        form by a short prefix must be near the value's spelling here too ("w którym" is not
        Віктар + -ym)."""
        raw = text.text
        starts = self.starts
        for i, (s, e) in enumerate(words):
            joined = raw[s:e]
            skeleton, loose = keys(joined)
            if skeleton not in starts and loose not in starts:
                continue
            best: tuple[int, set[_Ref]] | None = None
            for j in range(i + 1, min(i + _CHAIN_MAX, len(words))):
                gap = raw[words[j - 1][1] : words[j][0]]
                if "\n" in gap or not SEPARATOR_GAP.fullmatch(gap):
                    break
                joined += raw[words[j][0] : words[j][1]]
                refs = {r for r in self.lookup(joined) if self._single(r)}
                if refs:
                    best = (j, refs)
                else:
                    skeleton, loose = keys(joined)
                    if skeleton not in starts and loose not in starts:
                        break
            if best is None:
                continue
            j, refs = best
            # A piece that is the name by itself is found as such, with its own span.
            refs = {r for r in refs if not any(r in hits[k] for k in range(i, j + 1))}
            pieces = [raw[a:b] for a, b in words[i : j + 1]]
            if not refs:
                continue
            whole = keys("".join(pieces))[1]
            exact_and_long = whole in self.forms and len(whole) >= _LONG_FORM
            if not exact_and_long and all(morphology.is_word(p) for p in pieces):
                continue
            for m, _, _ in refs:
                yield (*text.source_span(s, words[j][1]), self.matchers[m].kind)
