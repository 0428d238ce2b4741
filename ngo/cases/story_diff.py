"""Differences between two versions of a story, for the diff view: lines of the Markdown
source, with word-level detail inside changed lines."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ngo.cases.models import StoryVersion


@dataclass(frozen=True)
class DiffSegment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass(frozen=True)
class DiffRow:
    """One line of the comparison. `kind` is "equal", "insert", "delete" or "change"."""

    kind: str
    old_line: int | None
    new_line: int | None
    segments: list[DiffSegment] = field(default_factory=list)


_WORDS = re.compile(r"\s+|[^\s]+")


def diff_words(old: str, new: str) -> list[DiffSegment]:
    """Word-level differences of two texts (whitespace runs count as words, so spacing shows)."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    segments: list[DiffSegment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(DiffSegment("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(DiffSegment("delete", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(DiffSegment("insert", "".join(b[j1:j2])))
    return segments


def diff_versions(old: StoryVersion, new: StoryVersion) -> list[DiffRow]:
    """Line-by-line comparison of the Markdown source, with word-level detail inside changed
    lines. The text is returned as is: the template escapes it."""
    a = (old.body_markdown or "").splitlines()
    b = (new.body_markdown or "").splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("equal", i + 1, j + 1, [DiffSegment("equal", a[i])])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            rows.append(DiffRow("change", i1 + k + 1, j1 + k + 1, diff_words(a[i1 + k], b[j1 + k])))
        for i in range(i1 + paired, i2):
            rows.append(DiffRow("delete", i + 1, None, [DiffSegment("delete", a[i])]))
        for j in range(j1 + paired, j2):
            rows.append(DiffRow("insert", None, j + 1, [DiffSegment("insert", b[j])]))
    return rows
