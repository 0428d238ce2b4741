"""The publication safety check of an appeal: no private value may reach a public page.

The people in our appeals fled a state that still watches them; their relatives at home can be
targeted through what a page reveals. So before an appeal is published every public text
(title, summary, story, translations, captions, the slug) is searched for the person's private
values, and every photo for embedded metadata (a GPS position, a camera serial number, a date).

The search is deliberately generous, because a surname can appear in Cyrillic or in any of its
Latin spellings, declined ("Кавалёва", "Kavaliovu"), a phone with any separators, a date of
birth in any language. A false alarm costs a member of staff a minute; a leak can cost a
relative their freedom.

Private values and findings exist only in memory. Nothing here logs them, and neither may a
caller: a finding's `context` holds the private value and is shown to staff on the publication
screen only. Both dataclasses leave the sensitive field out of their repr, so an accidental
`log.info(finding)` or a traceback does not print it.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PIL import ExifTags, Image, ImageSequence

from ngo.cases import names
from ngo.cases.models.consent import ConsentItem

if TYPE_CHECKING:
    from ngo.cases.models import Beneficiary

# Kinds of private values ------------------------------------------------------------------

LEGAL_SURNAME = "legal_surname"
LEGAL_NAME = "legal_name"
DATE_OF_BIRTH = "date_of_birth"
PHONE = "phone"
EMAIL = "email"
MESSENGER = "messenger"
STREET_ADDRESS = "street_address"
HOUSEHOLD_NAME = "household_name"
DOCUMENT_NUMBER = "document_number"
CITY = "city"
# Kinds of image findings.
IMAGE_METADATA = "image_metadata"
IMAGE_UNREADABLE = "image_unreadable"

CONTEXT_CHARS = 40


@dataclass(frozen=True)
class PrivateValue:
    """One thing about the person that must not be published; held in memory only."""

    kind: str
    value: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class Finding:
    """A private value (or image metadata) found in a public field.

    `start`/`end` index the text as given to `scan_texts` (0, 0 for images). `context` is the
    surrounding text with the match marked [[like this]]: it repeats the private value, so it is
    for the publication screen only, never for logs, audit details, e-mails or exceptions.
    """

    kind: str
    field: str
    start: int
    end: int
    context: str = dataclasses.field(repr=False)


# Which beneficiary data is private --------------------------------------------------------


def private_values_of(
    beneficiary: Beneficiary,
    consented: frozenset[ConsentItem],
    extra: Iterable[PrivateValue] = (),
) -> list[PrivateValue]:
    """Everything about this person that the public page may not show, given the consents.

    The legal name: a word of it that is not part of the public name (surname, patronymic,
    a second first name) is always private, as `legal_surname`; a word shared with the public
    name is allowed only while PUBLIC_NAME is consented (else it is private as `legal_name`).
    The whole legal name is private unless every word of it is in the consented public name.
    Household first names are private unless FAMILY_DETAILS is consented, the city unless CITY
    is. `extra` is what staff add by hand: street addresses, document numbers, other names.
    """
    values: list[PrivateValue] = []
    name_allowed = ConsentItem.PUBLIC_NAME in consented
    public_keys: set[str] = set()
    for word in _name_words(beneficiary.public_name or ""):
        public_keys |= _comparison_skeletons(word)
    legal_words = _name_words(beneficiary.legal_name or "")
    shared = [bool(_comparison_skeletons(w) & public_keys) for w in legal_words]
    for word, in_public in zip(legal_words, shared, strict=True):
        if not in_public:
            values.append(PrivateValue(LEGAL_SURNAME, word))
        elif not name_allowed:
            values.append(PrivateValue(LEGAL_NAME, word))
    if len(legal_words) >= 2 and not (name_allowed and all(shared)):
        values.append(PrivateValue(LEGAL_NAME, " ".join(legal_words)))

    if beneficiary.date_of_birth is not None:
        values.append(PrivateValue(DATE_OF_BIRTH, beneficiary.date_of_birth.isoformat()))
    for kind, raw in (
        (PHONE, beneficiary.phone),
        (EMAIL, beneficiary.email),
        (MESSENGER, beneficiary.messenger),
    ):
        if raw and raw.strip():
            values.append(PrivateValue(kind, raw.strip()))
    if ConsentItem.FAMILY_DETAILS not in consented:
        for member in beneficiary.household:
            if member.first_name and member.first_name.strip():
                values.append(PrivateValue(HOUSEHOLD_NAME, member.first_name.strip()))
    if ConsentItem.CITY not in consented and (beneficiary.city_of_residence or "").strip():
        values.append(PrivateValue(CITY, (beneficiary.city_of_residence or "").strip()))
    values.extend(v for v in extra if v.value and v.value.strip())

    unique: list[PrivateValue] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return unique


# Words and their comparable forms ---------------------------------------------------------

# Letters, plus what can sit inside a written word without being a separator: combining
# accents (text pasted in NFD), apostrophes (Belarusian Вераб'ёў), soft hyphens and
# zero-width characters (copied from word processors).
_IN_WORD = "\u0300-\u036f\u00ad\u200b-\u200d\u2060"
_WORD = re.compile(rf"(?:[^\W\d_]|[{_IN_WORD}])+(?:['’ʼ](?:[^\W\d_]|[{_IN_WORD}])+)*")
# Words and numbers, for street addresses.
_TOKEN = re.compile(rf"(?:[^\W_]|[{_IN_WORD}])+")


def _name_words(text: str) -> list[str]:
    return [m.group() for m in _WORD.finditer(text)]


def _loose(word: str) -> str:
    """The folding of names.skeleton with the vowels kept.

    Skeletons of very short names are one or two consonants ("Li" and "lay" are both "l"), so
    short names are compared on this form instead; it still equates Лі and Li, Ян and Jan.
    """
    return re.sub(r"(.)\1+", r"\1", names.fold_to_latin(word))


_VOWELS = set("aeiouyаеёиоуыэюяіїєɑ")
# Belarusian -ў surnames (Кавалёў, Kavaliou, Kavaliow) decline with в: Кавалёва, Kavaliovu.
_U_ENDINGS = set("ўuwvв")


def _u_stem(word: str) -> str | None:
    """The word without its final -ў/-u/-w/-v/-в after a vowel, else None."""
    lower = word.lower()
    if len(lower) >= 3 and lower[-1] in _U_ENDINGS and lower[-2] in _VOWELS:
        return word[:-1]
    return None


@dataclass(frozen=True)
class _NameKey:
    """How one private word is recognised in text: by skeleton, by prefix, or (short) loose."""

    exact: frozenset[str]
    prefixes: frozenset[str]
    loose: str | None = None

    def matches(self, word: _Word) -> bool:
        if self.loose is not None:
            return word.loose == self.loose
        if word.skeleton in self.exact:
            return True
        return any(word.skeleton.startswith(p) for p in self.prefixes)


def _name_key(word: str, *, declinable: bool) -> _NameKey | None:
    """`declinable` lets a text word that starts with the private skeleton match (case forms:
    Kavaliou -> Kavaliova); only skeletons of 4+ letters, shorter ones are too common."""
    skeleton = names.skeleton(word)
    if len(_loose(word)) < 2:
        return None  # an initial ("A.") would match every "a" of the text
    if len(skeleton) <= 2:
        return _NameKey(frozenset(), frozenset(), _loose(word))
    exact = {skeleton}
    prefixes: set[str] = set()
    if declinable:
        if len(skeleton) >= 4:
            prefixes.add(skeleton)
        stem = _u_stem(word)
        if stem is not None:
            exact.add(names.skeleton(stem))  # Kavaliov given, Kavaliou written
            v_form = names.skeleton(stem + "v")  # Kavaliou given, Kavaliova written
            (prefixes if len(v_form) >= 4 else exact).add(v_form)
    return _NameKey(frozenset(exact), frozenset(prefixes))


def _comparison_skeletons(word: str) -> set[str]:
    """Skeletons by which a legal-name word is recognised as a word of the public name."""
    found = {names.skeleton(word)}
    stem = _u_stem(word)
    if stem is not None:
        found |= {names.skeleton(stem), names.skeleton(stem + "v")}
    return {s for s in found if s}


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    skeleton: str
    loose: str


def _word(text: str, start: int, end: int) -> _Word:
    piece = text[start:end]
    return _Word(start, end, names.skeleton(piece), _loose(piece))


def _camel_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """#FreeKavaliou, AlexanderKavaliou: the parts of a word joined without a space."""
    cuts = [start]
    for i in range(start + 1, end):
        if text[i].isupper() and text[i - 1].islower():
            cuts.append(i)
    cuts.append(end)
    return list(itertools.pairwise(cuts)) if len(cuts) > 2 else []


@dataclass
class _Text:
    """One public text, tokenised once for all the private values."""

    raw: str
    words: list[_Word]  # whole words, for word sequences
    single: list[_Word]  # whole words and their camel-case parts, for single words
    tokens: list[tuple[int, int, str]]  # words and numbers, street-type words left out

    @classmethod
    def of(cls, raw: str) -> _Text:
        words: list[_Word] = []
        single: list[_Word] = []
        for m in _WORD.finditer(raw):
            whole = _word(raw, m.start(), m.end())
            words.append(whole)
            single.append(whole)
            single.extend(_word(raw, s, e) for s, e in _camel_parts(raw, m.start(), m.end()))
        tokens = [
            (m.start(), m.end(), m.group())
            for m in _TOKEN.finditer(raw)
            if not _is_street_type(m.group())
        ]
        return cls(raw, words, single, tokens)


# Matchers: one per private value, each yields (start, end) spans in a text ------------------


class _Matcher:
    kind: str

    def spans(self, text: _Text) -> Iterator[tuple[int, int]]:
        raise NotImplementedError


class _RegexMatcher(_Matcher):
    def __init__(self, kind: str, patterns: Sequence[re.Pattern[str]]) -> None:
        self.kind = kind
        self.patterns = patterns

    def spans(self, text: _Text) -> Iterator[tuple[int, int]]:
        for pattern in self.patterns:
            for m in pattern.finditer(text.raw):
                yield m.start(), m.end()


class _WordMatcher(_Matcher):
    """Any one of the keys matching a single word (household names, single legal words)."""

    def __init__(self, kind: str, keys: Sequence[_NameKey]) -> None:
        self.kind = kind
        self.keys = keys

    def spans(self, text: _Text) -> Iterator[tuple[int, int]]:
        for word in text.single:
            if any(key.matches(word) for key in self.keys):
                yield word.start, word.end


class _SequenceMatcher(_Matcher):
    """Consecutive words each matching its key, whatever punctuation or line breaks between
    them (a full legal name, a two-word city)."""

    def __init__(self, kind: str, keys: Sequence[_NameKey]) -> None:
        self.kind = kind
        self.keys = keys

    def spans(self, text: _Text) -> Iterator[tuple[int, int]]:
        n = len(self.keys)
        for i in range(len(text.words) - n + 1):
            window = text.words[i : i + n]
            if all(k.matches(w) for k, w in zip(self.keys, window, strict=True)):
                yield window[0].start, window[-1].end


class _AddressMatcher(_Matcher):
    """The street and house number, in either order ("ul. Lipowa 12", "12 Lipowa Street"),
    the street name in any case form ("przy ulicy Lipowej 12")."""

    def __init__(self, street: Sequence[_NameKey], number: str | None) -> None:
        self.kind = STREET_ADDRESS
        self.street = list(street)
        self.number = number

    def _fits(self, token: str, part: _NameKey | str) -> bool:
        if isinstance(part, str):
            return token.lower() == part
        return part.matches(_word(token, 0, len(token)))

    def spans(self, text: _Text) -> Iterator[tuple[int, int]]:
        orders: list[list[_NameKey | str]] = [list(self.street)]
        if self.number is not None:
            orders = [[*self.street, self.number], [self.number, *self.street]]
        tokens = text.tokens
        for order in orders:
            for i in range(len(tokens) - len(order) + 1):
                window = tokens[i : i + len(order)]
                if all(self._fits(t[2], p) for t, p in zip(window, order, strict=True)):
                    yield window[0][0], window[-1][1]


def _matchers(private: Sequence[PrivateValue]) -> list[_Matcher]:
    matchers: list[_Matcher] = []
    for value in private:
        matcher = _matcher(value)
        if matcher is not None:
            matchers.append(matcher)
    return matchers


def _matcher(value: PrivateValue) -> _Matcher | None:
    kind, raw = value.kind, value.value.strip()
    if not raw:
        return None
    if kind == DATE_OF_BIRTH:
        return _RegexMatcher(kind, _date_patterns(date.fromisoformat(raw)))
    if kind == PHONE:
        return _phone_matcher(kind, raw)
    if kind == EMAIL:
        return _RegexMatcher(kind, [_email_pattern(raw)])
    if kind == MESSENGER:
        return _messenger_matcher(raw)
    if kind == DOCUMENT_NUMBER:
        return _document_matcher(raw)
    if kind == STREET_ADDRESS:
        return _address_matcher(raw)
    if kind == HOUSEHOLD_NAME:
        # Whole words only: first names are short and common, a prefix would find too much.
        keys = [k for w in _name_words(raw) if (k := _name_key(w, declinable=False))]
        return _WordMatcher(kind, keys) if keys else None
    # Surnames, legal names, cities, and any other name-like value staff add.
    keys = [k for w in _name_words(raw) if (k := _name_key(w, declinable=True))]
    if not keys:
        return None
    return _WordMatcher(kind, keys) if len(keys) == 1 else _SequenceMatcher(kind, keys)


# Phones ------------------------------------------------------------------------------------

_DIGIT_SEP = r"[\s\-.()/\u2010-\u2015]{0,3}"


def _phone_matcher(kind: str, raw: str) -> _Matcher | None:
    """The national number with any separators, optionally preceded by +CC, 00CC, the bare
    country code, or a trunk 0. The country code of an international number is 1 to 3 digits
    and is not known here, so each split is tried: "+374 93 418 226" is found as "093 418
    226", "+49 1512 3486620" as "01512 3486620", "+48 600 100 200" as "600-100-200"."""
    digits = re.sub(r"\D", "", raw)
    international = raw.lstrip().startswith(("+", "00"))
    if raw.lstrip().startswith("00"):
        digits = digits[2:]
    if len(digits) < 6:
        return None  # too short to tell from other numbers
    splits = [(digits[:n], digits[n:]) for n in (1, 2, 3)] if international else [("", digits)]
    patterns = []
    for country, national in splits:
        national = national.lstrip("0")
        if len(national) < 6:
            continue
        prefixes = [r"\(?\s*(?:\+|00)\s*\(?\s*\d{1,3}\s*\)?", r"\(?0\)?"]
        if country:
            prefixes.append(re.escape(country))
        prefix = "(?:" + "|".join(prefixes) + ")" + r"[\s\-.]{0,3}"
        body = _DIGIT_SEP.join(national)
        # Not inside a longer number: 1600100200 or 600100200123 are other numbers.
        patterns.append(re.compile(rf"(?<![\d+])(?:{prefix})?{body}(?!\d)"))
    return _RegexMatcher(kind, patterns) if patterns else None


# E-mail and messenger handles --------------------------------------------------------------

_AT_WORDS = r"at|собака|małpa|malpa|малпа"
_DOT_WORDS = r"dot|точка|kropka|кропка|punkt"
_AT = rf"(?:\s*@\s*|\s*[(\[{{<]\s*(?:{_AT_WORDS})\s*[)\]}}>]\s*|\s+(?:{_AT_WORDS})\s+)"
_DOT = rf"(?:\s*\.\s*|\s*[(\[{{<]\s*(?:{_DOT_WORDS})\s*[)\]}}>]\s*|\s+(?:{_DOT_WORDS})\s+)"


def _dotted(part: str) -> str:
    return _DOT.join(re.escape(p) for p in part.split("."))


def _email_pattern(raw: str) -> re.Pattern[str]:
    """alex.k@example.net, also ALEX.K@EXAMPLE.NET and "alex.k at example dot net"."""
    local, _, domain = raw.partition("@")
    body = _dotted(local) + (_AT + _dotted(domain) if domain else "")
    return re.compile(rf"(?<![\w.+\-]){body}(?!\w)", re.IGNORECASE)


_MESSENGER_LABEL = re.compile(
    r"^\s*(?:telegram|signal|whatsapp|viber|threema|wire|element|matrix|tg|wa)\b\s*[:\-]?\s*",
    re.IGNORECASE,
)
_MESSENGER_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|wa\.me|signal\.me/#p|signal\.me)/",
    re.IGNORECASE,
)


def _messenger_matcher(raw: str) -> _Matcher | None:
    """Signal: +48 600 100 200 is a phone; @kavaliou_a or t.me/kavaliou_a a handle."""
    handle = _MESSENGER_URL.sub("", _MESSENGER_LABEL.sub("", raw)).strip()
    if re.fullmatch(r"[\d\s+\-().]+", handle) and len(re.sub(r"\D", "", handle)) >= 6:
        return _phone_matcher(MESSENGER, handle)
    handle = handle.lstrip("@")
    if not handle:
        return None
    # A short handle is only recognisable with its @; a longer one also bare.
    at = "@?" if len(handle) >= 5 else "@"
    pattern = rf"(?<![\w@.]){at}{re.escape(handle)}(?![\w])"
    return _RegexMatcher(MESSENGER, [re.compile(pattern, re.IGNORECASE)])


# Document numbers --------------------------------------------------------------------------


def _document_matcher(raw: str) -> _Matcher | None:
    """MP1234567 also written MP 123 45 67 or mp-1234567: separators ignored."""
    chars = re.sub(r"[\W_]", "", raw)
    if not chars:
        return None
    body = r"[\s\-./]*".join(re.escape(c) for c in chars)
    # Not inside a longer run of the same class: 1234567 is not in 91234567, MP1 not in XMP1.
    before = r"(?<!\d)" if chars[0].isdigit() else r"(?<![^\W\d_])"
    after = r"(?!\d)" if chars[-1].isdigit() else r"(?![^\W\d_])"
    return _RegexMatcher(DOCUMENT_NUMBER, [re.compile(before + body + after, re.IGNORECASE)])


# Street addresses --------------------------------------------------------------------------

# Words that say "street", "flat", "number" in the languages we work in; dropped on both sides
# so that "ul. Lipowa 12", "ulica Lipowa 12" and "Lipowa Street 12" compare equal.
_STREET_TYPES = frozenset(
    {
        "ul", "ulica", "ulicy", "ulice", "al", "aleja", "alei", "aleje", "os", "osiedle",
        "osiedlu", "pl", "plac", "placu", "nr", "m", "lok", "dom", "mieszkanie", "street",
        "st", "str", "road", "rd", "avenue", "ave", "lane", "apt", "flat", "no", "vul",
        "vulica", "vulitsa", "ulitsa", "prasp", "praspekt", "prospekt", "pr", "kv", "d",
        "вул", "вуліца", "вулиця", "ул", "улица", "пр", "праспект", "проспект", "д", "дом",
        "кв", "straße", "strasse", "gatve", "g",
    }
)  # fmt: skip


def _is_street_type(token: str) -> bool:
    return names.strip_accents(token.lower()) in _STREET_TYPES or token.lower() in _STREET_TYPES


def _address_matcher(raw: str) -> _Matcher | None:
    """Staff add addresses as written ("ul. Lipowa 12/3, 15-001 Białystok"): the part before
    the first comma is the street and house number; the postcode and city alone are not an
    address (the city has its own check)."""
    first = raw.split(",")[0]
    tokens = [t for t in _TOKEN.findall(first) if not _is_street_type(t)]
    street: list[_NameKey] = []
    number: str | None = None
    for token in tokens:
        if any(ch.isdigit() for ch in token):
            number = number or token.lower()
        elif key := _name_key(token, declinable=True):
            street.append(key)
    if not street:
        return None
    return _AddressMatcher(street, number)


# Dates of birth ----------------------------------------------------------------------------

# Stems of month names (nominative and genitive share them) in the languages of our pages and
# our beneficiaries: English, Polish, Russian, Belarusian, Ukrainian, German, French.
_MONTH_STEMS: dict[int, tuple[str, ...]] = {
    1: ("jan", "jän", "stycz", "январ", "янв", "студз", "січ", "janv"),
    2: ("feb", "lut", "феврал", "фев", "лют", "févr", "fevr"),
    3: ("mar", "mär", "март", "мар", "сакав", "берез"),
    4: ("apr", "avr", "kwie", "апрел", "апр", "красав", "квіт"),
    5: ("may", "mai", "maj", "ма[йя]", "трав"),
    6: ("jun", "juin", "czerw", "июн", "чэрв", "черв"),
    7: ("jul", "juil", "lip", "июл", "ліп", "лип"),
    8: ("aug", "août", "aout", "sierp", "август", "авг", "жнів", "серп"),
    9: ("sep", "wrze", "сентябр", "сен", "верас", "верес"),
    10: ("oct", "okt", "paźdz", "pazdz", "октябр", "окт", "кастрыч", "жовт"),
    11: ("nov", "listop", "ноябр", "ноя", "лістап", "листоп"),
    12: ("dec", "dez", "déc", "grud", "декабр", "дек", "снеж", "груд"),
}  # fmt: skip
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_NO_DIGIT_BEFORE = r"(?<!\d)(?<!\d[.,])"  # not part of 3.12.04.1979 or a version number
_NO_DIGIT_AFTER = r"(?!\d)(?![.,]\d)"


def _number(n: int) -> str:
    return f"0?{n}" if n < 10 else str(n)


def _date_patterns(born: date) -> list[re.Pattern[str]]:
    """12.04.1979, 12/04/1979, 1979-04-12, 12.4.79, 04/12/1979 (US), 12 IV 1979, 12041979,
    12 April 1979, 12 kwietnia 1979, 12 апреля 1979 года, April 12, 1979, 12th of April 1979."""
    d, m = _number(born.day), _number(born.month)
    y4, y2 = str(born.year), f"{born.year % 100:02d}"
    year = rf"(?:{y4}|'?{y2})"
    sep = r"(?:\s*[./\-]\s*|\s+)"
    tight = r"[./\-]"  # two-digit years only with punctuation: "12 4 79" is too vague
    month = "(?:" + "|".join(_MONTH_STEMS[born.month]) + r")[^\W\d_]*\.?"
    ordinal = r"(?:st|nd|rd|th|-?(?:го|е|ого))?"
    text_sep = r"[\s.,/\-]*"
    roman = _ROMAN[born.month - 1]
    sources = [
        rf"{d}{sep}{m}{sep}{y4}",
        rf"{d}{tight}{m}{tight}{y2}",
        rf"{m}{sep}{d}{sep}{y4}",
        rf"{m}{tight}{d}{tight}{y2}",
        rf"{y4}{sep}{m}{sep}{d}",
        rf"{born.day:02d}{born.month:02d}{y4}",
        rf"{y4}{born.month:02d}{born.day:02d}",
        rf"{d}{text_sep}{roman}{text_sep}{year}",
        rf"{d}{ordinal}{text_sep}(?:of\s+)?{month}{text_sep}{year}",
    ]
    patterns = [
        re.compile(_NO_DIGIT_BEFORE + source + _NO_DIGIT_AFTER, re.IGNORECASE) for source in sources
    ]
    # Month first: the month name must begin a word ("April 12, 1979").
    patterns.append(
        re.compile(
            rf"(?<![^\W\d_]){month}{text_sep}{d}{ordinal}{text_sep}{year}{_NO_DIGIT_AFTER}",
            re.IGNORECASE,
        )
    )
    return patterns


# Scanning ----------------------------------------------------------------------------------


def scan_texts(texts: Mapping[str, str], private: Sequence[PrivateValue]) -> list[Finding]:
    """Every place where a private value occurs in the public texts, keyed by field name.

    Where one finding lies within another in the same field (the surname inside the full
    legal name, a phone that is also the messenger number), only the wider one is kept.
    """
    matchers = _matchers(private)
    findings: list[Finding] = []
    for field_name, raw in texts.items():
        if not raw:
            continue
        text = _Text.of(raw)
        spans: list[tuple[int, int, str]] = []
        for matcher in matchers:
            spans.extend((s, e, matcher.kind) for s, e in matcher.spans(text) if e > s)
        for start, end, kind in _widest(spans):
            findings.append(Finding(kind, field_name, start, end, _context(raw, start, end)))
    return findings


def _widest(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans not covered by another span, first kind wins for identical spans, in text order."""
    kept: list[tuple[int, int, str]] = []
    # Longest first, so that a covering span is kept before the spans inside it.
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if any(s <= start and end <= e for s, e, _ in kept):
            continue
        kept.append((start, end, kind))
    return sorted(kept, key=lambda s: (s[0], s[1]))


def _context(raw: str, start: int, end: int) -> str:
    def flat(s: str) -> str:
        return " ".join(s.split())

    before = raw[max(0, start - CONTEXT_CHARS) : start]
    after = raw[end : end + CONTEXT_CHARS]
    lead = "…" if start > CONTEXT_CHARS else ""
    tail = "…" if end + CONTEXT_CHARS < len(raw) else ""
    # Keep the space next to the match, which flat() would trim.
    gap_before = " " if before[-1:].isspace() else ""
    gap_after = " " if after[:1].isspace() else ""
    return (
        f"{lead}{flat(before)}{gap_before}[[{flat(raw[start:end])}]]{gap_after}{flat(after)}{tail}"
    )


# Images ------------------------------------------------------------------------------------

# Tags that describe the pixels and nothing else: TIFF structure, resolution, orientation.
_STRUCTURAL_TAGS = frozenset(
    {
        256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 322, 323,
        324, 325, 338, 339, 513, 514, 529, 530, 531, 532,
    }
)  # fmt: skip
_POINTER_TAGS = frozenset({0x8769, 0x8825, 0xA005})  # Exif, GPS, Interop sub-IFDs
_B = ExifTags.Base
_CAMERA_TAGS = frozenset({_B.Make, _B.Model, _B.LensMake, _B.LensModel})
_DATE_TAGS = frozenset({_B.DateTime, _B.DateTimeOriginal, _B.DateTimeDigitized})
_OWNER_TAGS = frozenset(
    {
        _B.Artist, _B.Copyright, _B.BodySerialNumber, _B.CameraOwnerName,
        _B.LensSerialNumber, _B.ImageUniqueID, _B.HostComputer,
    }
)  # fmt: skip
# Info keys Pillow sets for an image without metadata: encoding and display parameters.
_HARMLESS_INFO = frozenset(
    {
        "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "adobe", "adobe_transform",
        "progressive", "progression", "icc_profile", "gamma", "srgb", "chromaticity",
        "transparency", "background", "duration", "loop", "version", "compression",
        "resolution", "interlace", "aspect", "extension", "disposal", "blend", "default_image",
        "bbox", "mpoffset", "mp", "mpinfo", "palette", "quality", "subsampling",
    }
)  # fmt: skip
# JPEG application segments that hold only the format's own data.
_HARMLESS_SEGMENTS = {"APP0": (b"JFIF", b"JFXX"), "APP2": (b"ICC_PROFILE", b"MPF"), "APP14": ()}


def scan_image(data: bytes, field: str = "photo:metadata") -> list[Finding]:
    """Metadata in an image that would travel with it to the public page.

    Any EXIF beyond the pixel layout (GPS position above all, camera make and model and serial,
    date taken, an embedded thumbnail that may show the uncropped original), XMP, IPTC, PNG
    text chunks and comments. One finding per image; its context names what was found, not
    the values. An image that cannot be read is a finding too: it could not be checked.
    """
    try:
        problems = _image_problems(data)
    except Exception:  # a parser fed hostile bytes can fail in any way
        return [Finding(IMAGE_UNREADABLE, field, 0, 0, "the image could not be read to check it")]
    if not problems:
        return []
    return [Finding(IMAGE_METADATA, field, 0, 0, "; ".join(problems))]


def _image_problems(data: bytes) -> list[str]:
    problems: list[str] = []

    def add(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    with Image.open(io.BytesIO(data)) as image:
        for frame in ImageSequence.Iterator(image):  # MPO and GIF frames carry their own
            for problem in _frame_problems(frame):
                add(problem)
    return problems


def _frame_problems(image: Image.Image) -> Iterator[str]:
    # PNG tEXt/zTXt/iTXt chunks, also those after the pixels: reading .text loads them.
    text_chunks = dict(getattr(image, "text", {}) or {})
    info = dict(image.info)
    yield from _exif_problems(image.getexif())
    xmp_keys = {"xmp", "XML:com.adobe.xmp"}
    if any(info.get(k) or text_chunks.get(k) for k in xmp_keys):
        yield "XMP metadata"
    if info.get("photoshop") or info.get("iptc"):
        yield "IPTC/Photoshop metadata"
    if info.get("comment"):
        yield "comment"
    other_text = sorted(k for k in text_chunks if k not in xmp_keys)
    if other_text:
        yield "PNG text chunks (" + ", ".join(other_text[:5]) + ")"
    for marker, payload in getattr(image, "applist", []):
        allowed = _HARMLESS_SEGMENTS.get(marker)
        if allowed is None or (allowed and not payload.startswith(allowed)):
            if marker == "APP1" and payload.startswith(b"Exif"):
                continue  # judged tag by tag above
            if marker == "APP1" and b"ns.adobe.com/x" in payload[:64]:
                yield "XMP metadata"
            elif marker == "COM":
                yield "comment"
            elif marker == "APP13":
                yield "IPTC/Photoshop metadata"
            else:
                yield f"other embedded data ({marker})"
    known = _HARMLESS_INFO | xmp_keys | set(text_chunks) | {"exif", "photoshop", "comment"}
    for key in sorted(str(k) for k in info if k not in known):
        yield f"other metadata ({key})"


def _exif_problems(exif: Image.Exif) -> Iterator[str]:
    if not exif:
        return
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    all_tags = {**dict(exif), **dict(sub)}
    if gps or (ExifTags.IFD.GPSInfo in exif and exif.get(ExifTags.IFD.GPSInfo)):
        yield "EXIF GPS position"
    if any(all_tags.get(t) for t in _CAMERA_TAGS):
        yield "EXIF camera make/model"
    if any(all_tags.get(t) for t in _DATE_TAGS):
        yield "EXIF date taken"
    if any(all_tags.get(t) for t in _OWNER_TAGS):
        yield "EXIF owner or serial number"
    if exif.get_ifd(ExifTags.IFD.IFD1):
        yield "EXIF thumbnail (may show the uncropped original)"
    reported = _CAMERA_TAGS | _DATE_TAGS | _OWNER_TAGS | _STRUCTURAL_TAGS | _POINTER_TAGS
    if any(tag not in reported for tag in all_tags):
        yield "other EXIF data"


def check_publication(
    beneficiary: Beneficiary,
    texts: Mapping[str, str],
    images: Mapping[str, bytes],
    consented: frozenset[ConsentItem],
    extra: Iterable[PrivateValue] = (),
) -> list[Finding]:
    """All findings for an appeal: its public texts and its images (keyed by field name,
    e.g. "photo:metadata"). An empty list means the check found nothing, not that the page is
    safe: staff still read it before approving."""
    private = private_values_of(beneficiary, consented, extra)
    findings = scan_texts(texts, private)
    for field_name, data in images.items():
        findings.extend(scan_image(data, field_name))
    return findings
