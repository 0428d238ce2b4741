"""A public text as its readers get it, each character mapped back to what the author wrote.

A text reaches readers in two shapes, and both are scanned:

- rendered: the page, the feed and the follower e-mail show the Markdown rendered by the
  project's own renderer (`ngo.cases.markdown.render_markdown`: markdown-it, then nh3). What a
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
from ngo.cases.markdown import render_markdown

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
            literal = self._literal(piece[i], self.cursor)
            special = self._special(piece, i, literal)
            if special is not None:
                s, e, decoded = special
                starts += [s] * len(decoded)
                ends += [e] * len(decoded)
                i += len(decoded)
                self.cursor = e
                continue
            if literal < 0:
                starts.append(self.cursor)
                ends.append(self.cursor)
                i += 1
                continue
            run = self._run(piece, i, literal)
            starts += range(literal, literal + run)
            ends += range(literal + 1, literal + run + 1)
            i += run
            self.cursor = literal + run
        return Mapped(piece, starts, ends)

    def _literal(self, ch: str, cursor: int) -> int:
        """The next place ch is written as itself, not inside a reference or escape."""
        while True:
            p = self.source.find(ch, cursor)
            if p < 0 or not self.specials:
                return p
            k = bisect.bisect_right(self.special_starts, p) - 1
            if k >= 0 and self.specials[k][0] < p < self.specials[k][1]:
                cursor = self.specials[k][1]
                continue
            return p

    def _special(self, piece: str, i: int, before: int) -> tuple[int, int, str] | None:
        """A reference or escape decoding to piece[i:...] that comes before `before`."""
        k = bisect.bisect_left(self.special_starts, self.cursor)
        while k < len(self.specials):
            s, e, decoded = self.specials[k]
            if before >= 0 and s >= before:
                return None
            if decoded and piece.startswith(decoded, i):
                return s, e, decoded
            k += 1
        return None

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
