"""Matchers that are regular expressions over the normalised text (numbers, contacts, dates)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ngo.campaigns.safety.mapped import Mapped

# What may stand between the digits of a number written by hand or split on purpose. Not
# ",": "600, 100, 200" is a list of amounts more often than a phone.
DIGIT_SEPARATOR = r"[\s\-.()/\u2010-\u2015*_~'|·]{0,3}"


@dataclass(frozen=True)
class RegexMatcher:
    kind: str
    patterns: Sequence[re.Pattern[str]]

    def spans(self, text: Mapped) -> Iterator[tuple[int, int, str]]:
        for pattern in self.patterns:
            for m in pattern.finditer(text.text):
                if m.end() > m.start():
                    yield (*text.source_span(m.start(), m.end()), self.kind)
