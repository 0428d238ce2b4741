"""Scanning public texts: every shape a reader gets, normalised, with and without separators."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ngo.campaigns.safety.images import scan_image
from ngo.campaigns.safety.mapped import Mapped
from ngo.campaigns.safety.matchers import compile_values
from ngo.campaigns.safety.normalise import joined, normalise
from ngo.campaigns.safety.private import private_values_of
from ngo.campaigns.safety.reader import MARKUP, views
from ngo.campaigns.safety.values import (
    CONTEXT_CHARS,
    DATE_OF_BIRTH,
    DOCUMENT_NUMBER,
    EMAIL,
    LEGAL_NAME,
    MESSENGER,
    PHONE,
    STREET_ADDRESS,
    Finding,
    PrivateValue,
)
from ngo.cases.models.consent import ConsentItem

if TYPE_CHECKING:
    from ngo.cases.models import Beneficiary


def scan_texts(texts: Mapping[str, str], private: Sequence[PrivateValue]) -> list[Finding]:
    """Every place where a private value occurs in the public texts, keyed by field name.

    Each text is given as its author wrote it (Markdown or plain) and read as its readers get
    it (reader.views); findings index the text as written. Where one finding lies within
    another in the same field (the surname inside the full legal name, a phone that is also
    the messenger number), only the wider one is kept; overlapping findings of one kind (the
    same name found in two shapes of the text) become one.
    """
    compiled = compile_values(tuple(private))
    findings: list[Finding] = []
    for field_name, raw in texts.items():
        if not raw or not raw.strip():
            continue
        spans: list[tuple[int, int, str]] = []
        for text in _layers(raw):
            spans.extend(compiled.spans(text))
        for start, end, kind in _widest(spans):
            findings.append(Finding(kind, field_name, start, end, _context(raw, start, end)))
    return findings


# For identical spans, the more specific kind is reported: "kavaliou_a" is the messenger
# handle, though it holds the surname too.
_PRIORITY = {
    kind: n
    for n, kind in enumerate(
        (PHONE, EMAIL, MESSENGER, DOCUMENT_NUMBER, DATE_OF_BIRTH, STREET_ADDRESS, LEGAL_NAME)
    )
}


# Around a change, this much of a text is read again in its other shape: the longest private
# value (a full name, an obfuscated e-mail) is shorter.
_WINDOW = 80


def _layers(raw: str) -> list[Mapped]:
    """The texts the matchers read: each shape of `raw` normalised, and the copy without
    separators. Where a second shape differs from the first only around some places (markup
    in the source, joined letters), only those places are read again."""
    layers: list[Mapped] = []
    for n, shape in enumerate(views(raw)):
        text = normalise(shape)
        if n == 0:
            parts = [text]
        else:  # the source as written: it differs from the rendered text only near markup
            parts = text.windows([text.index_of(m.start()) for m in MARKUP.finditer(raw)], _WINDOW)
        for part in parts:
            layers.append(part)
            without_separators = joined(part)
            if without_separators is not None:
                copy, changes = without_separators
                layers.extend(copy.windows(changes, _WINDOW))
    return layers


def _widest(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans not covered by another, overlapping spans of one kind merged, in text order."""
    kept: list[list] = []
    ordered = sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]), _PRIORITY.get(s[2], 99)))
    for start, end, kind in ordered:
        if end <= start:
            continue
        if any(s <= start and end <= e for s, e, _ in kept):
            continue
        same = next((k for k in kept if k[2] == kind and k[0] < end and start < k[1]), None)
        if same is not None:
            same[1] = max(same[1], end)
            continue
        kept.append([start, end, kind])
    # A merge may have widened a span over another one: drop the covered ones again.
    result = [
        (s, e, k)
        for i, (s, e, k) in enumerate(kept)
        if not any(
            j != i and o[0] <= s and e <= o[1] and (o[0], o[1]) != (s, e)
            for j, o in enumerate(kept)
        )
    ]
    return sorted(result, key=lambda s: (s[0], s[1]))


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
