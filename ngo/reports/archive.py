"""The report archive: every report is kept as a PDF/A-3b file, signed with the organisation's
key and fingerprinted with SHA-256, beside the frozen data it was rendered from.

Any report (an appeal's accountability report, a funder's portfolio) is rendered by its own
module into HTML, then `archive_report` (or `render_archival_pdf` and `store_report`) turns it
into the archived, signed file. The SHA-256 is of the signed bytes as stored and served, so the
figure printed on a report's page and the file a funder downloaded can be compared directly."""

from __future__ import annotations

import hashlib
from typing import Any

from ngo.accounts.models import Organisation
from ngo.extensions import db
from ngo.reports.models import Report, ReportStatus
from ngo.reports.pdf import render_pdf
from ngo.reports.signing import sign_pdf, signing_key_for
from ngo.timeutil import utcnow

ARCHIVAL_VARIANT = "pdf/a-3b"
SIGNATURE_REASON = "Accountability report, unaltered since signing"


def render_archival_pdf(html: str, stylesheet: str = "") -> bytes:
    """The PDF/A-3b rendering every archived report uses (fonts embedded, no remote content)."""
    return render_pdf(html, stylesheet=stylesheet, pdf_variant=ARCHIVAL_VARIANT)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_report(report: Report, pdf: bytes, data: dict[str, Any] | None = None) -> None:
    """Sign the rendered PDF/A with the organisation's key, fingerprint and keep it, and mark
    the report done. `data` is the frozen snapshot it was rendered from, if not set before.
    Flushes; the caller's unit of work commits."""
    organisation = db.session.get_one(Organisation, report.organisation_id)
    signed = sign_pdf(pdf, signing_key_for(organisation), reason=SIGNATURE_REASON)
    if data is not None:
        report.data = data
    report.pdf = signed
    report.sha256 = sha256_hex(signed)
    report.status = ReportStatus.DONE
    report.progress = 100
    report.error = None
    report.finished_at = utcnow()
    db.session.flush()


def archive_report(
    report: Report, html: str, *, stylesheet: str = "", data: dict[str, Any] | None = None
) -> None:
    """Render `html` as PDF/A-3b, sign and store it on `report`."""
    store_report(report, render_archival_pdf(html, stylesheet), data)


def stored_file_intact(report: Report) -> bool:
    """The stored PDF still has the SHA-256 recorded when it was signed."""
    return report.pdf is not None and sha256_hex(report.pdf) == report.sha256
