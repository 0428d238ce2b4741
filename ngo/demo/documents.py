"""Sample documents for the demo's evidence and invoices."""

from __future__ import annotations


def _pdf_text(text: str) -> str:
    plain = text.encode("ascii", "replace").decode("ascii")
    return plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF marked as a sample, written by hand: drawing dozens of documents with
    WeasyPrint would make the demo slow to load. Text is ASCII; other letters become "?"."""
    rows = ["SAMPLE DOCUMENT FOR THE DEMO", "", title, "", *lines]
    content = "BT /F1 12 Tf 56 780 Td 18 TL " + " ".join(
        f"({_pdf_text(row)}) Tj T*" for row in rows
    )
    stream = content.encode("ascii") + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
