"""Document numbers and street addresses that staff add to a case by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ngo.campaigns.safety import lookalikes
from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.matchers.keys import WordKey, word_key
from ngo.campaigns.safety.matchers.patterns import Haystacks, RegexMatcher
from ngo.campaigns.safety.values import STREET_ADDRESS
from ngo.campaigns.safety.words import TOKEN
from ngo.cases import names


def document_matcher(kind: str, raw: str) -> RegexMatcher | None:
    """MP1234567 also written MP 123 45 67, mp-1234567 or M.P.1234567: separators ignored."""
    chars = re.sub(r"[\W_]", "", raw)
    if not chars:
        return None
    body = r"[\s\-./_*·|]*".join(
        f"[{re.escape(lookalikes.variants(c))}]" if c.isalpha() else re.escape(c) for c in chars
    )
    # Not inside a longer run of the same class: 1234567 is not in 91234567, MP1 not in XMP1.
    before = r"(?<!\d)" if chars[0].isdigit() else r"(?<![^\W\d_])"
    after = r"(?!\d)" if chars[-1].isdigit() else r"(?![^\W\d_])"
    pattern = re.compile(before + body + after, re.IGNORECASE)
    # Its digits are in every match (its letters may be look-alikes).
    return RegexMatcher(kind, [pattern], re.sub(r"\D", "", chars), "digits")


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
    lower = token.lower()
    return names.strip_accents(lower) in _STREET_TYPES or lower in _STREET_TYPES


@dataclass(frozen=True)
class AddressMatcher:
    """The street and house number, in either order ("ul. Lipowa 12", "12 Lipowa Street"),
    the street name in any case form ("przy ulicy Lipowej 12")."""

    street: Sequence[WordKey]
    number: str | None
    kind: str = STREET_ADDRESS

    def _fits(self, token: str, part: WordKey | str) -> bool:
        if isinstance(part, str):
            return token.lower() == part
        return part.matches(token)

    def spans(self, text: Mapped, hay: Haystacks) -> Iterator[tuple[int, int, str]]:
        orders: list[list[WordKey | str]] = [list(self.street)]
        if self.number is not None:
            orders = [[*self.street, self.number], [self.number, *self.street]]
        tokens = [
            (m.start(), m.end(), m.group())
            for m in TOKEN.finditer(text.text)
            if not _is_street_type(m.group())
        ]
        for order in orders:
            for i in range(len(tokens) - len(order) + 1):
                window = tokens[i : i + len(order)]
                if all(self._fits(t[2], p) for t, p in zip(window, order, strict=True)):
                    yield (*text.source_span(window[0][0], window[-1][1]), self.kind)


def address_matcher(raw: str) -> AddressMatcher | None:
    """Staff add addresses as written ("ul. Lipowa 12/3, 15-001 Białystok"): the part before
    the first comma is the street and house number; the postcode and city alone are not an
    address (the city has its own check)."""
    first = raw.split(",")[0]
    tokens = [t for t in TOKEN.findall(first) if not _is_street_type(t)]
    street: list[WordKey] = []
    number: str | None = None
    for token in tokens:
        if any(ch.isdigit() for ch in token):
            number = number or token.lower()
        elif key := word_key(token, declinable=True):
            street.append(key)
    if not street:
        return None
    return AddressMatcher(tuple(street), number)
