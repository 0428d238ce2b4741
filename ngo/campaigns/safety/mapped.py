"""A derived text that remembers, for every character, where it came from in the source.

Every step between what the author wrote and what the matchers read (rendering, decoding,
normalising, joining split letters) changes lengths; findings must still point at the source,
so that staff see the place. Each character carries the source span it stands for: a decoded
`&#64;` is one "@" standing for five source characters, an NFKC "fi" two characters standing
for one "ﬁ".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mapped:
    text: str
    starts: list[int]  # source start of each character
    ends: list[int]  # source end of each character

    @classmethod
    def identity(cls, text: str) -> Mapped:
        return cls(text, list(range(len(text))), list(range(1, len(text) + 1)))

    @classmethod
    def concat(cls, parts: Iterable[Mapped]) -> Mapped:
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for part in parts:
            text.append(part.text)
            starts.extend(part.starts)
            ends.extend(part.ends)
        return cls("".join(text), starts, ends)

    def window(self, start: int, end: int) -> Mapped:
        return Mapped(self.text[start:end], self.starts[start:end], self.ends[start:end])

    def windows(self, points: Iterable[int], radius: int) -> list[Mapped]:
        """The parts of the text within `radius` of the points, merged where they overlap and
        widened to whole words (at most `radius` further, so that a text without spaces costs
        no more than its length)."""
        spans: list[list[int]] = []
        for point in sorted(points):
            start, end = max(0, point - radius), min(len(self.text), point + radius)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        text = self.text
        for span in spans:
            start, end = span
            floor, ceiling = max(0, start - radius), min(len(text), end + radius)
            while start > floor and not text[start - 1].isspace():
                start -= 1
            while end < ceiling and not text[end].isspace():
                end += 1
            span[:] = [start, end]
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [self.window(a, b) for a, b in merged]

    def index_of(self, source_position: int) -> int:
        """The first character standing for source_position or later (the text must map to
        the source in order, as the views as written do)."""
        return bisect.bisect_left(self.ends, source_position + 1)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of text[start:end] (end > start)."""
        return min(self.starts[start:end]), max(self.ends[start:end])

    def point(self, i: int) -> int:
        """The source position just before character i (or after the last one)."""
        if i < len(self.starts):
            return self.starts[i]
        return self.ends[-1] if self.ends else 0

    def rewrite(self, edits: Iterable[tuple[int, int, str]]) -> Mapped:
        """Replace text[i:j] by s for each (i, j, s), sorted and not overlapping. The new
        characters stand for the source span of the characters they replace."""
        return self.rewrite_marked(edits)[0]

    def rewrite_marked(self, edits: Iterable[tuple[int, int, str]]) -> tuple[Mapped, list[int]]:
        """rewrite, also giving the positions in the new text where an edit was made."""
        marks: list[int] = []
        length = 0
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        done = 0
        changed = False
        for i, j, new in edits:
            changed = True
            text.append(self.text[done:i])
            starts.extend(self.starts[done:i])
            ends.extend(self.ends[done:i])
            length += i - done
            marks.append(length)
            length += len(new)
            if new:
                if j > i:
                    s, e = self.source_span(i, j)
                else:
                    s = e = self.point(i)
                text.append(new)
                starts.extend([s] * len(new))
                ends.extend([e] * len(new))
            done = j
        if not changed:
            return self, marks
        text.append(self.text[done:])
        starts.extend(self.starts[done:])
        ends.extend(self.ends[done:])
        return Mapped("".join(text), starts, ends), marks

    def sub(self, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> Mapped:
        """Like pattern.sub, keeping the map; unchanged matches cost nothing."""
        edits = []
        for m in pattern.finditer(self.text):
            new = replace(m)
            if new != m.group():
                edits.append((m.start(), m.end(), new))
        return self.rewrite(edits) if edits else self
