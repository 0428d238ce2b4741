"""Names and places in a text: every word looked up once in an index of all private words.

All keys of all private values go into one NameIndex, so that each word of a text is looked up
once, with a few dictionary lookups, whatever the number of private values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ngo.campaigns.safety import given_names, lookalikes, morphology, places
from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.matchers.keys import WordKey, other_name_key, word_key
from ngo.campaigns.safety.matchers.keys import near as _near_spelling
from ngo.campaigns.safety.normalise import SEPARATOR_GAP
from ngo.campaigns.safety.values import CITY, HOUSEHOLD_NAME
from ngo.campaigns.safety.words import WORD, keys, name_words, sub_words

# At most this many written pieces are joined back into one word ("Kava liou", "K a v a").
_CHAIN_MAX = 8
# Joined pieces that spell a form this long exactly are a name even if each piece is a word
# ("Białym stoku" is Białymstoku; "але не" is only Алене by chance).
_LONG_FORM = 8
_OWN_FORM = 6
# Longer "words" (letters run together over a whole line) are no name; their parts are read.
_LONGEST_WORD = 64
# Words whose matches an index remembers before it starts afresh.
_SEEN_MAX = 10_000


@dataclass(frozen=True)
class NameMatcher:
    """A private name: any of its variants, each a sequence of word keys (a two-word city, a
    full legal name), found as consecutive words."""

    kind: str
    variants: tuple[tuple[WordKey, ...], ...]


def name_matcher(kind: str, raw: str) -> NameMatcher | None:
    declinable = kind != HOUSEHOLD_NAME  # first names are short and common: whole words only
    variants: list[tuple[WordKey, ...]] = []
    place = kind == CITY
    own = tuple(
        k for w in name_words(raw) if (k := word_key(w, declinable=declinable, place=place))
    )
    if own:
        variants.append(own)
    words = name_words(raw)
    if not place and len(words) == 1:
        # Another language's form of the name, in its inflected forms exactly (vowels kept):
        # by skeleton, Ольга would also be "Олега".
        for name in given_names.equivalents(words[0]):
            variants.append(
                (
                    WordKey(
                        forms=frozenset(keys(f)[1] for f in morphology.forms(name, singular=True)),
                        near=frozenset({keys(name)[1]}),
                    ),
                )
            )
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
        if len(word) > _LONGEST_WORD:
            return set()
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
        if len(word) > _LONGEST_WORD:
            return frozenset()
        found = self.lookup(word)
        if not found and keys(word)[1][:1] in self.initials:
            for lemma in morphology.lemmas(word):
                found |= self.lookup(lemma)
        if found:
            found = self._not_another_name(word, found)
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        result = self._seen[word] = frozenset(found)
        return result

    def _not_another_name(self, word: str, found: set[_Ref]) -> set[_Ref]:
        """Without the matches of a word the dictionary reads as a patronymic (Михайлович is
        not the surname Міхалевіч) or, first, as another given name in the nominative
        (Евгений is not Евгения, though Евгении and Евгений look alike with vowels run
        together; Александр is Аляксандр: a near spelling with the same last letter)."""
        names, patronymic = morphology.known_as(word)
        if not names and not patronymic:
            return found
        loose = keys(word)[1]
        lemmas = {keys(name)[1] for name in names}

        def same_name(key: WordKey) -> bool:
            if loose in key.near:
                return True
            if patronymic:
                return False
            return any(
                lemma[-1:] == spelling[-1:] and _near_spelling(lemma, spelling)
                for lemma in lemmas
                for spelling in key.near
            )

        return {r for r in found if same_name(self._key(r))}

    def spans(self, text: Mapped) -> Iterator[tuple[int, int, str]]:
        """(start, end, kind) in the source of every name found in the normalised text."""
        raw = text.text
        words = [(m.start(), m.end()) for m in WORD.finditer(raw)]
        seen, lookup = self._seen, self.lookup_with_lemmas
        hits: list[frozenset[_Ref]] = []
        for s, e in words:
            word = raw[s:e]
            refs = seen.get(word)
            hits.append(lookup(word) if refs is None else refs)
            if refs or refs is None:
                for ref in hits[-1]:
                    if self._single(ref):
                        yield (*text.source_span(s, e), self.matchers[ref[0]].kind)
            if not word[1:].islower() or not word.isalpha():  # camel case, an apostrophe
                for ps, pe in sub_words(raw, s, e):
                    for ref in lookup(raw[ps:pe]):
                        if self._single(ref):
                            yield (*text.source_span(ps, pe), self.matchers[ref[0]].kind)
        yield from self._sequences(text, words, hits)
        yield from self._chains(text, words, hits)

    def _sequences(
        self, text: Mapped, words: list[tuple[int, int]], hits: list[frozenset[_Ref]]
    ) -> Iterator[tuple[int, int, str]]:
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

    def _chains(
        self, text: Mapped, words: list[tuple[int, int]], hits: list[frozenset[_Ref]]
    ) -> Iterator[tuple[int, int, str]]:
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
            if e - s > _LONGEST_WORD:
                continue
            joined = raw[s:e]
            skeleton, loose = keys(joined)
            if skeleton not in starts and loose not in starts:
                continue
            best: tuple[int, set[_Ref]] | None = None
            for j in range(i + 1, min(i + _CHAIN_MAX, len(words))):
                gap = raw[words[j - 1][1] : words[j][0]]
                if "\n" in gap or not SEPARATOR_GAP.fullmatch(gap):
                    break
                piece = raw[words[j][0] : words[j][1]]
                longer = joined + piece
                # Pieces folded one by one may have gone to different scripts ("Bo льгa").
                if lookalikes.suspicious_words(longer):
                    longer = lookalikes.fold_word(longer)
                if best is not None and morphology.is_word(piece):
                    # The name is complete; a word after it is the next word ("Białystok
                    # now"), unless it completes the name as given or a generated form.
                    whole = keys(longer)[1]
                    if whole not in self.forms and not any(
                        whole in self._key(r).near for r in best[1]
                    ):
                        break
                joined = longer
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
            # Or the value itself, as given, of six letters or more ("Miki ta" is Mikita;
            # Polish "ale na" is only Alena by chance).
            exact_and_long = (whole in self.forms and len(whole) >= _LONG_FORM) or (
                len(whole) >= _OWN_FORM and any(whole in self._key(r).near for r in refs)
            )
            if not exact_and_long and all(morphology.is_word(p) for p in pieces):
                continue
            for m, _, _ in refs:
                yield (*text.source_span(s, words[j][1]), self.matchers[m].kind)
