"""One matcher per private value; all of a case's matchers compiled once and cached.

The gate runs on every commit touching an appeal, and the same case's values are checked
again and again: building matchers (generating inflected forms, looking up a city's other
names) happens once per value and once per set of values, in bounded caches. The caches hold
private values in this process's memory only, as the scan itself does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.matchers.contacts import email_matcher, messenger_matcher
from ngo.campaigns.safety.matchers.dates import date_matcher
from ngo.campaigns.safety.matchers.documents import address_matcher, document_matcher
from ngo.campaigns.safety.matchers.names import NameIndex, NameMatcher, name_matcher
from ngo.campaigns.safety.matchers.patterns import Haystacks
from ngo.campaigns.safety.matchers.phones import phone_matcher
from ngo.campaigns.safety.values import (
    DATE_OF_BIRTH,
    DOCUMENT_NUMBER,
    EMAIL,
    MESSENGER,
    PHONE,
    STREET_ADDRESS,
    PrivateValue,
)


class SpanMatcher(Protocol):
    @property  # read-only, so that the frozen dataclasses below satisfy it
    def kind(self) -> str: ...

    def spans(self, text: Mapped, hay: Haystacks) -> Iterator[tuple[int, int, str]]: ...


@functools.lru_cache(maxsize=1024)
def matcher_for(value: PrivateValue) -> SpanMatcher | NameMatcher | None:
    kind, raw = value.kind, value.value.strip()
    if not raw:
        return None
    if kind == DATE_OF_BIRTH:
        return date_matcher(kind, raw)
    if kind == PHONE:
        return phone_matcher(kind, raw)
    if kind == EMAIL:
        return email_matcher(kind, raw)
    if kind == MESSENGER:
        return messenger_matcher(raw)
    if kind == DOCUMENT_NUMBER:
        return document_matcher(kind, raw)
    if kind == STREET_ADDRESS:
        return address_matcher(raw)
    # Surnames, legal names, household names, cities, and any other name-like value staff add.
    return name_matcher(kind, raw)


@dataclass(frozen=True)
class Compiled:
    names: NameIndex
    others: Sequence[SpanMatcher]

    def spans(self, text: Mapped) -> Iterator[tuple[int, int, str]]:
        """(start, end, kind) in the source for every private value found in `text`."""
        if self.names.matchers:
            yield from self.names.spans(text)
        hay = Haystacks(text.text)
        for matcher in self.others:
            yield from matcher.spans(text, hay)


@functools.lru_cache(maxsize=128)
def compile_values(private: tuple[PrivateValue, ...]) -> Compiled:
    name_matchers: list[NameMatcher] = []
    others: list[SpanMatcher] = []
    for value in private:
        matcher = matcher_for(value)
        if isinstance(matcher, NameMatcher):
            name_matchers.append(matcher)
        elif matcher is not None:
            others.append(matcher)
    return Compiled(NameIndex(name_matchers), tuple(others))
