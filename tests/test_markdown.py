"""Stories are rendered from Markdown: nothing a writer types may run in a reader's browser."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from ngo import markdown
from ngo.markdown import ALLOWED_TAGS, render_markdown, render_published_markdown, visible_text

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](java&#115;cript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](data:image/png;base64,iVBORw0KGgo=)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "![x](javascript:alert(1))",
    '![x](https://tracker.example/pixel.png "onerror=alert(1)")',
    '[x](https://example.org "onmouseover=alert(1)")',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="x:expression(alert(1))">x</div>',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<object data="javascript:alert(1)"></object>',
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<details open ontoggle=alert(1)>",
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <script>alert(1)</script>",
    "* [x](javascript:alert(1))\n* <svg/onload=alert(1)>",
    "[x](//evil.example/steal)",
    "[x](/cases/abc/erase)",
]

# Text the reader sees may mention these words (the markup turns "<" into "&lt;"); only
# markup, that is tags and their attributes, must never contain them.
FORBIDDEN_IN_MARKUP = [
    "<script",
    "onerror",
    "onload",
    "javascript:",
    "data:text",
    "<iframe",
    "style=",
]
FORBIDDEN_ANYWHERE = ["<script", "<iframe", "<svg", "<img", "<object", "<embed", "<style"]


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.raw_tags: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.raw_tags.append(self.get_starttag_text() or "")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _parse(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_is_harmless(payload: str) -> None:
    html = str(render_markdown(payload))
    lowered = html.lower()
    for needle in FORBIDDEN_ANYWHERE:
        assert needle not in lowered, (payload, html)
    parsed = _parse(html)
    assert not parsed.comments, html
    markup = " ".join(parsed.raw_tags).lower()
    for needle in FORBIDDEN_IN_MARKUP:
        assert needle not in markup, (payload, html)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (payload, html)
        for name, value in attrs:
            assert not name.startswith("on"), (payload, html)
            assert (tag, name) in {("a", "href"), ("a", "rel")}, (payload, html)
            if name == "href":
                assert (value or "").lower().startswith(("http://", "https://", "mailto:")), html


def test_corpus_is_large_enough() -> None:
    assert len(XSS_PAYLOADS) >= 25


def test_result_is_markup() -> None:
    assert isinstance(render_markdown("*x*"), Markup)
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_ordinary_markdown_survives() -> None:
    html = str(
        render_markdown(
            "# Arrest\n\n## Trial\n\nHe was **sentenced** to *five* years.\n\n"
            "- one\n- two\n\n1. first\n\n> quoted\n\n`code`\n\n---\n\n"
            "[Report](https://example.org/report) and <https://example.org/a>, "
            "[write](mailto:office@example.org)"
        )
    )
    assert "<h2>Arrest</h2>" in html  # headings start below the page's own
    assert "<h3>Trial</h3>" in html
    assert "<strong>sentenced</strong>" in html and "<em>five</em>" in html
    assert "<ul>" in html and "<ol>" in html and "<blockquote>" in html
    assert "<code>code</code>" in html and "<hr>" in html
    assert (
        '<a href="https://example.org/report" rel="noopener noreferrer nofollow">Report</a>' in html
    )
    assert 'href="https://example.org/a"' in html
    assert 'href="mailto:office@example.org"' in html


def test_raw_html_is_shown_as_text() -> None:
    html = str(render_markdown("<b>bold</b> & <script>alert(1)</script>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html


def test_images_are_not_loaded() -> None:
    # An image would tell a third party who reads the story, and when.
    assert "<img" not in str(render_markdown("![me](https://tracker.example/p.png)"))


def test_visible_text() -> None:
    assert visible_text("**Hello** <there>") == "Hello <there>"
    assert visible_text("![only an image](https://example.org/x.png)") == ""
    assert visible_text("   \n\n  ") == ""


@pytest.mark.parametrize(
    "payload", [*XSS_PAYLOADS[:8], "# Story\n\nA *text* [link](https://example.org)."]
)
def test_published_rendering_is_the_same_html_kept(payload: str) -> None:
    """Public pages show what the safety check read: the same renderer's output, kept by the
    digest of the source."""
    first = render_published_markdown(payload)
    assert first == render_markdown(payload)
    assert render_published_markdown(payload) is first
    assert render_published_markdown(payload + " ") == render_markdown(payload + " ")
    assert render_published_markdown("") == Markup("") == render_published_markdown(None)


def test_published_renderings_are_bounded_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from cachetools import LRUCache

    kept: LRUCache[bytes, Markup] = LRUCache(maxsize=2000, getsizeof=lambda html: len(html) + 32)
    monkeypatch.setattr(markdown, "_PUBLISHED", kept)
    monkeypatch.setattr(
        markdown, "_render_published", markdown.cached(kept, key=markdown._digest)(markdown._render)
    )
    for number in range(50):
        render_published_markdown(f"Paragraph {number}: " + "words " * 20)
    assert 0 < kept.currsize <= 2000
    assert len(kept) < 50
