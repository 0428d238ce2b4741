"""A public text as its readers get it, each character mapped back to what the author wrote.

A text reaches readers in two shapes, and both are scanned:

- rendered: the page, the feed and the follower e-mail show the Markdown rendered by the
  project's own renderer (`ngo.markdown.render_markdown`: markdown-it, then nh3). What a
  reader sees is the visible text of that HTML, plus the link targets (shown on hover, copied
  with the link). `Kava**liou**`, `[Kava](x)liou` and `alexander.k&#64;example.net` are one
  word there.
- as written: the API serves the Markdown source, and a client, mail program or feed reader may
  render it differently (with raw HTML, say). So the source is also read with HTML tags taken
  out and character references decoded: `Kava<b></b>liou` is "Kavaliou" to such a reader.

Every value is treated as possibly Markdown, also titles, labels and slugs.
"""

from __future__ import annotations

import bisect
import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

from ngo.campaigns.safety.mapped import Mapped
from ngo.markdown import render_markdown

# Tags that end a line on the page: words on either side of them are not one word.
_BLOCK_TAGS = frozenset(
    {
        "p", "br", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
        "hr", "div", "table", "tr", "td", "th", "section", "article", "header", "footer",
    }
)  # fmt: skip
# Only with one of these can the rendered text differ from the source read as plain text.
MARKUP = re.compile(r"[&<>*_\[\]`\\]")
# Character references as markdown-it decodes them (the semicolon is required there).
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# As HTML decodes them in a lenient reader: also without the semicolon.
_LENIENT_REFERENCE = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?"
)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# How many references or escapes the aligner skips looking for a character.
_SKIPPED_REFERENCES = 8
_TAG = re.compile(r"<!--.*?(?:-->|$)|</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>", re.DOTALL)


def views(source: str) -> list[Mapped]:
    """The shapes in which readers get this text, each mapped to the source."""
    written = source_view(source)
    if not MARKUP.search(source):
        return [written]  # rendering can only drop block markers here, never join words
    return [reader_view(source), written]  # the second differs from the first near MARKUP


def source_view(source: str) -> Mapped:
    """The source as a lenient HTML reader shows it: tags out, character references decoded."""
    mapped = Mapped.identity(source)
    if "<" in source:
        mapped = mapped.sub(_TAG, _tag_replacement)
    if "&" in source:
        mapped = mapped.sub(_LENIENT_REFERENCE, lambda m: html.unescape(m.group()))
    return mapped


def _tag_replacement(match: re.Match[str]) -> str:
    name = (match.group(1) or "").lower()
    return " " if name in _BLOCK_TAGS or not name else ""


def reader_view(source: str) -> Mapped:
    """The visible text of the rendered page (and its link targets), mapped to the source."""
    parser = _Visible()
    parser.feed(str(render_markdown(source)))
    parser.close()
    aligner = _Aligner(source)
    body: list[Mapped] = []
    links: list[Mapped] = []
    for kind, value in parser.items:
        if kind == "text":
            body.append(aligner.align(value))
        elif kind == "break":
            body.append(aligner.gap("\n"))
        else:  # a link target, aligned from where its text starts, not moving the body on
            links.append(aligner.gap("\n"))
            links.append(_Aligner(source, aligner.cursor).align(unquote(value)))
    return Mapped.concat([*body, *links])


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.items.append(("break", ""))
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.items.append(("href", href))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.items.append(("break", ""))

    def handle_data(self, data: str) -> None:
        self.items.append(("text", data))


class _Aligner:
    """Finds, in order, where each visible character was written in the source.

    Rendering drops markup and decodes references but never reorders text, so each visible
    character is the next occurrence of itself (or of a reference or backslash escape that
    decodes to it) after the previous one. Runs are matched whole with str.startswith, so a
    story costs a few hundred steps, not one per character. Characters the renderer added
    map to an empty span where they appear.
    """

    def __init__(self, source: str, cursor: int = 0) -> None:
        self.source = source
        self.cursor = cursor
        self.specials: list[tuple[int, int, str]] = []
        if "&" in source:
            self.specials += [
                (m.start(), m.end(), html.unescape(m.group())) for m in _REFERENCE.finditer(source)
            ]
        if "\\" in source:
            self.specials += [(m.start(), m.end(), m.group(1)) for m in _ESCAPE.finditer(source)]
        self.specials.sort()
        self.special_starts = [s for s, _, _ in self.specials]

    def gap(self, text: str) -> Mapped:
        return Mapped(text, [self.cursor] * len(text), [self.cursor] * len(text))

    def align(self, piece: str) -> Mapped:
        starts: list[int] = []
        ends: list[int] = []
        i = 0
        while i < len(piece):
            found = self._locate(piece, i)
            if found is None:
                starts.append(self.cursor)
                ends.append(self.cursor)
                i += 1
            elif isinstance(found, tuple):
                s, e, decoded = found
                starts += [s] * len(decoded)
                ends += [e] * len(decoded)
                i += len(decoded)
                self.cursor = e
            else:
                run = self._run(piece, i, found)
                starts += range(found, found + run)
                ends += range(found + 1, found + run + 1)
                i += run
                self.cursor = found + run
        return Mapped(piece, starts, ends)

    def _locate(self, piece: str, i: int) -> int | tuple[int, int, str] | None:
        """Where piece[i] was written after the cursor: a position where it stands as
        itself, or the reference or escape that decodes to it. The references between the
        cursor and the character are skipped (a few at most; beyond that precision gives way
        to speed, so that a text made of references costs no more than its length)."""
        ch, source = piece[i], self.source
        k = bisect.bisect_left(self.special_starts, self.cursor)
        start = self.cursor
        for _ in range(_SKIPPED_REFERENCES):
            if k >= len(self.specials):
                p = source.find(ch, start)
                return p if p >= 0 else None
            s, e, decoded = self.specials[k]
            p = source.find(ch, start, s)
            if p >= 0:
                return p
            if decoded and piece.startswith(decoded, i):
                return s, e, decoded
            start, k = e, k + 1
        p = source.find(ch, start)
        return p if p >= 0 else None

    def _run(self, piece: str, i: int, p: int) -> int:
        """How many characters from piece[i] and source[p] on agree (at least one), stopping
        at the next reference or escape, which must be matched decoded."""
        limit = min(len(piece) - i, len(self.source) - p)
        k = bisect.bisect_right(self.special_starts, p)
        if k < len(self.specials):
            limit = min(limit, max(1, self.specials[k][0] - p))
        if self.source.startswith(piece[i : i + limit], p):
            return limit
        lo, hi = 1, limit
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.source.startswith(piece[i : i + mid], p):
                lo = mid
            else:
                hi = mid - 1
        return lo
