"""Markdown of stories to safe HTML.

Two independent layers: markdown-it never passes raw HTML through (html disabled, so `<script>`
typed in a story is shown as text), and nh3 then removes anything outside a small allow-list.
A bug in one layer is not enough to get script into a page that shows a persecuted person's
story to staff.

Rendering is a pure function of the source text, and the appeal page renders the same story
on every request (1-2 ms, a third of the page): `render_published_markdown` keeps the HTML of
the published texts it rendered lately, per process, by the source's digest (the sources are
not kept), bounded in bytes. The publication safety check reads what `render_markdown`
renders, the same function of the same text, so a page shows what was checked, cached or not.
Staff pages (drafts, texts not yet checked) render without the cache.
"""

from __future__ import annotations

import hashlib
import html
import threading

import nh3
from cachetools import LRUCache, cached
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "a",
        "code",
        "pre",
        "hr",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# The story page has its own <h1> (the case); a story's headings start one level below it.
_DEEPEST_HEADING = 4

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _render_unsafe(text: str) -> str:
    tokens = _parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, _DEEPEST_HEADING)
            token.tag = f"h{level}"
    return _parser.renderer.render(tokens, _parser.options, {})


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML of a story written in Markdown; safe to insert into any page."""
    if not text:
        return Markup("")
    return _render(text)


def render_published_markdown(text: str | None) -> Markup:
    """`render_markdown` of a published text, for the public pages: the same HTML, kept."""
    if not text:
        return Markup("")
    return _render_published(text)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).digest()


# Bounded by the bytes of the HTML kept, digests included.
_PUBLISHED: LRUCache[bytes, Markup] = LRUCache(
    maxsize=8 * 1024 * 1024, getsizeof=lambda html: len(html) + 32
)


@cached(_PUBLISHED, key=_digest, lock=threading.Lock())
def _render_published(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    cleaned = nh3.clean(
        _render_unsafe(text),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        # "*": none, or nh3 would keep its default generic attributes (title, lang).
        attributes={"*": set()} | {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        # Links inside the application (or protocol-relative ones) have no place in a story.
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704  (nh3 output: only allow-listed tags and attributes)


def visible_text(text: str | None) -> str:
    """What a reader would see of the rendered story, without markup: empty if nothing shows."""
    stripped = nh3.clean(str(render_markdown(text)), tags=set(), strip_comments=True)
    return html.unescape(stripped).strip()
