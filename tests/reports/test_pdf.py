"""The one PDF renderer: shipped fonts for Polish and Cyrillic, and nothing fetched from outside."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pypdf

from ngo.reports.pdf import FONT_FAMILY, render_pdf


def _text_and_fonts(pdf: bytes) -> tuple[str, set[str]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    return "\n".join(page.extract_text() for page in reader.pages), fonts


def test_polish_and_cyrillic_letters_come_out_as_written_in_the_shipped_font() -> None:
    pdf = render_pdf("<h1>Аляксандр Каваліоў</h1><p>Zażółć gęślą jaźń, Білосток, Ёлкі</p>")

    text, fonts = _text_and_fonts(pdf)

    assert "Аляксандр Каваліоў" in text
    assert "Zażółć gęślą jaźń, Білосток, Ёлкі" in text
    assert fonts and all(FONT_FAMILY.replace(" ", "-") in font for font in fonts)


def test_a_remote_image_is_never_fetched() -> None:
    requests: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pixel.png"
        pdf = render_pdf(f"<p>Receipt</p><img src='{url}'><link rel=stylesheet href='{url}'>")
    finally:
        server.shutdown()

    assert requests == []
    assert "Receipt" in _text_and_fonts(pdf)[0]
