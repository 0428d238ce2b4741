"""Fixtures shared by the tests of what happens after publication (updates, followers,
concerns): a published appeal for the seed case, in English and Polish. Import the fixtures
by name into a test module."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from ngo.accounts.models import User
from ngo.campaigns import services, updates
from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.cases.models import Beneficiary
from ngo.demo import cases as demo
from ngo.demo.cases import STORY_TITLE, seed_cases
from ngo.extensions import db
from ngo.money import Money
from tests import factories

POLISH_TITLE = "Pomoc dla rodziny z Białorusi"
# Private values of the seed case (Alexander): none may reach a public text or an e-mail.
PRIVATE_VALUES = ("Kavaliou", "Кавалёў", "+48 600 100 200", "alexander.k@example.net", "1979")


@pytest.fixture
def staff(organisation, make_user):
    return {
        "caseworker": make_user("caseworker"),
        "verifier": make_user("verifier"),
        "admin": make_user("admin"),
    }


_real_sample_pdf = demo.sample_pdf


@functools.cache
def _sample_pdf(title: str, lines: tuple[str, ...]) -> bytes:
    return _real_sample_pdf(title, list(lines))


@pytest.fixture
def sample_documents_once(monkeypatch):
    """The seed's sample PDFs are the same in every test: render each once per run."""
    monkeypatch.setattr(demo, "sample_pdf", lambda title, lines: _sample_pdf(title, tuple(lines)))


@pytest.fixture
def alexander(app, organisation, staff, sample_documents_once):
    db.session.refresh(organisation)
    seed_cases(organisation)
    db.session.commit()
    return db.session.scalars(select(Beneficiary).order_by(Beneficiary.id).limit(1)).one()


def draft_appeal(case: Beneficiary, staff: dict) -> Appeal:
    appeal = services.create_appeal(
        case, currency="EUR", language="en", title=STORY_TITLE, actor=staff["caseworker"]
    )
    services.set_translation(
        appeal,
        "pl",
        title=POLISH_TITLE,
        summary="",
        story_markdown="",
        display_name="",
        actor=staff["caseworker"],
    )
    services.add_budget_line(
        appeal,
        amount=Money(210_000, "EUR"),
        label="Rent for three months and deposit",
        language="en",
        actor=staff["caseworker"],
    )
    return appeal


def publish(appeal: Appeal, staff: dict) -> Appeal:
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    db.session.commit()
    assert appeal.listed, [p.message for p in services.publication_problems(appeal)]
    return appeal


def publish_update(appeal: Appeal, author: User, approver: User, **values: object) -> AppealUpdate:
    """An update through the real review: drafted and sent by `author`, approved by
    `approver`. The caller commits."""
    fields: dict[str, object] = {
        "language": "en",
        "title": "The family has moved into the flat",
        "body_markdown": "Thanks to you the rent for three months is paid.",
    }
    fields.update(values)
    update = updates.draft_update(appeal, actor=author, **fields)  # type: ignore[arg-type]
    digest = updates.submit_update(update, actor=author)
    updates.approve_update(update, approver=approver, digest=digest)
    return update


@pytest.fixture
def published(alexander, staff) -> Appeal:
    return publish(draft_appeal(alexander, staff), staff)


@pytest.fixture
def other_organisation_appeal(app, sample_documents_once) -> Appeal:
    """A published appeal of another organisation, with its own staff."""
    other = factories.OrganisationFactory()
    other_staff = {
        "caseworker": factories.UserFactory(role="caseworker", organisation=other),
        "verifier": factories.UserFactory(role="verifier", organisation=other),
        "admin": factories.UserFactory(role="admin", organisation=other),
    }
    db.session.refresh(other)
    seed_cases(other)
    db.session.commit()
    case = db.session.scalars(
        select(Beneficiary)
        .where(Beneficiary.organisation_id == other.id)
        .order_by(Beneficiary.id)
        .limit(1)
    ).one()
    return publish(draft_appeal(case, other_staff), other_staff)


# Images -----------------------------------------------------------------------------------


def jpeg(exif: Image.Exif | None = None, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    save: dict[str, object] = {}
    if exif is not None:
        save["exif"] = exif
    Image.new("RGB", size, (120, 140, 160)).save(out, "JPEG", **save)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 8.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (23.0, 9.0, 0.0)
    return exif
