"""The appeal reports' tests use the donations tests' seed appeal (published, four lines) and
their `give` helper, and render reports through the runner as the worker does."""

from __future__ import annotations

import io
from collections.abc import Callable

import pypdf
import pytest

from ngo.accounts.models import User
from ngo.campaigns.models import Appeal
from ngo.extensions import db
from ngo.reports import appeal_reports
from ngo.reports.models import Report
from tests.donations.conftest import appeal, give, staff

__all__ = ["appeal", "give", "staff"]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space (a table cell's line breaks) as one space."""
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.fixture
def render(appeal: Appeal) -> Callable[..., Report]:
    """render(actor, language="en"): a report of the seed appeal, asked for and committed; the
    outbox hands it to the (eager) worker, which renders it through the runner."""

    def render(actor: User, language: str = "en", target: Appeal | None = None) -> Report:
        report = appeal_reports.request_appeal_report(
            target or appeal, actor=actor, language=language
        )
        db.session.commit()
        db.session.refresh(report)
        return report

    return render
