"""Matchers that are regular expressions over the normalised text (numbers, contacts, dates).

A dozen patterns over each shape of a long story would dominate the scan, so each matcher
names a `needle` that any match must contain once its separators are gone: the national
number of a phone, the year of a date, the longest part of an e-mail address. The pattern runs
only if the needle is in the text's digits (or letters and digits); usually it is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ngo.campaigns.safety.mapped import Mapped

# What may stand between the digits of a number written by hand or split on purpose: up to
# five, markup and a dash with spaces ("0** - 0"). Not ",": "600, 100, 200" is a list of
# amounts more often than a phone.
DIGIT_SEPARATOR = r"[\s\-.()/\u2010-\u2015*_~'|·]{0,5}"
# Letters the phone patterns accept for digits (a letter O for zero, l or I for one).
_DIGIT_LOOKALIKES = str.maketrans("OoОоlI", "000011")
_NOT_DIGIT = re.compile(r"\D+")
_NOT_ALNUM = re.compile(r"[\W_]+")


class Haystacks:
    """The digits, and the letters and digits, of one text, computed when first asked for."""

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def digits(self) -> str:
        return _NOT_DIGIT.sub("", self.text.translate(_DIGIT_LOOKALIKES))

    @functools.cached_property
    def alnum(self) -> str:
        return _NOT_ALNUM.sub("", self.text).lower()


@dataclass(frozen=True)
class RegexMatcher:
    kind: str
    patterns: Sequence[re.Pattern[str]]
    # Any match holds this once separators are gone, in `haystack` (a Haystacks property).
    needle: str = ""
    haystack: str = "alnum"

    def spans(self, text: Mapped, hay: Haystacks) -> Iterator[tuple[int, int, str]]:
        if self.needle and self.needle not in getattr(hay, self.haystack):
            return
        for pattern in self.patterns:
            for m in pattern.finditer(text.text):
                if m.end() > m.start():
                    yield (*text.source_span(m.start(), m.end()), self.kind)
