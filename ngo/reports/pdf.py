"""Every PDF the platform writes is rendered here, by WeasyPrint, with the fonts the project
ships (DejaVu Sans: Latin with Polish letters, Cyrillic for Belarusian, Russian and Ukrainian),
so that a receipt reads the same on every machine whatever fonts it has installed.

WeasyPrint subsets the embedded fonts with HarfBuzz when Debian's `libharfbuzz-subset0` is
installed (a one-page receipt in about a tenth of the time) and falls back to fontTools by
itself when it is not: `harfbuzz_subset_available()` says which one this machine uses."""

from __future__ import annotations

import ctypes.util
from functools import cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FAMILY = "NGO Sans"

# Font files by weight and style; the CSS names them by the family above, never by a system font.
_FACES = (
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
)


def font_css() -> str:
    """The @font-face rules and the body font: put first in every PDF's stylesheet."""
    faces = "".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; src: url('{(FONTS / name).as_uri()}');"
        f" font-weight: {weight}; font-style: {style}; }}\n"
        for name, weight, style in _FACES
    )
    return faces + f"html {{ font-family: '{FONT_FAMILY}', sans-serif; }}\n"


@cache
def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def render_pdf(html: str, *, stylesheet: str = "", pdf_variant: str | None = None) -> bytes:
    """Render `html` to PDF bytes with the shipped fonts. `pdf_variant` is WeasyPrint's name of
    a PDF profile ("pdf/a-3b" for the archived reports). The HTML must hold no remote URL: the
    renderer fetches nothing from the network (no CDN, no tracking pixel in a receipt)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = _fetcher_class()(allowed_protocols=("file", "data"))
    sheets = [CSS(string=font_css() + stylesheet, font_config=fonts, url_fetcher=fetcher)]
    document = HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=sheets, font_config=fonts, pdf_variant=pdf_variant)
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf


@cache
def _fetcher_class() -> type:
    from weasyprint import URLFetcher

    class ShippedFilesOnly(URLFetcher):
        """Loads the shipped fonts and inline data; anything else fails the render."""

        def fetch(self, url: str, headers: object = None) -> object:
            local = url.startswith("file://") and Path(url[7:]).resolve().is_relative_to(FONTS)
            if not (local or url.startswith("data:")):
                raise ValueError("a PDF may load only the shipped fonts and inline data")
            return super().fetch(url, headers)

    return ShippedFilesOnly
