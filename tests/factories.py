"""factory-boy factories for the models; users get a password and, by default, 2FA enrolled."""

from __future__ import annotations

import functools
import io
from datetime import date, timedelta
from typing import Any

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory
from pypdf import PdfWriter

from ngo.accounts.models import Membership, Organisation, User
from ngo.accounts.passwords import hash_password
from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.cases.models import (
    Beneficiary,
    CheckKind,
    Consent,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
    StoryVersion,
)
from ngo.demo import cases as demo
from ngo.donations.models import Donation, Donor
from ngo.donations.models.donors import email_index as donor_email_index
from ngo.extensions import db
from ngo.reports.receipts.models import Receipt
from ngo.timeutil import utcnow

PASSWORD = "correct horse battery staple"

__all__ = [
    "PASSWORD",
    "AppealFactory",
    "AppealUpdateFactory",
    "BeneficiaryFactory",
    "ConsentFactory",
    "DonationFactory",
    "DonorFactory",
    "EvidenceFactory",
    "Organisation",
    "OrganisationFactory",
    "StoryVersionFactory",
    "UserFactory",
    "seed_case",
]


# Factories flush: the test's transaction is rolled back at its end (tests/conftest.py). A test
# marked `committed` has a database of its own that other connections read: there they commit.
commit_for_other_connections = False


def persist() -> None:
    if commit_for_other_connections:
        db.session.commit()
    else:
        db.session.flush()


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> object:
        made = super()._create(model_class, *args, **kwargs)
        persist()
        return made


class OrganisationFactory(_Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(_Base):
    """`UserFactory(role="verifier", organisation=org)`; `two_factor=False` leaves 2FA off."""

    class Meta:
        model = User
        exclude = ("two_factor", "password")

    role = "caseworker"
    organisation = factory.SubFactory(OrganisationFactory)
    two_factor = True
    password = PASSWORD

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyAttribute(lambda o: hash_password(o.password))
    totp_secret = factory.LazyAttribute(lambda o: pyotp.random_base32() if o.two_factor else None)
    totp_enabled_at = factory.LazyAttribute(lambda o: utcnow() if o.two_factor else None)

    @classmethod
    def _create(
        cls,
        model_class: type[User],
        *args: object,
        role: str,
        organisation: Organisation,
        **kwargs: object,
    ) -> User:
        user = model_class(**kwargs)
        user.memberships.append(Membership(organisation=organisation, role=role))
        db.session.add(user)
        persist()
        return user


class BeneficiaryFactory(_Base):
    """`BeneficiaryFactory(organisation=org, legal_name="...")`; names are blind-indexed."""

    class Meta:
        model = Beneficiary

    organisation = factory.SubFactory(OrganisationFactory)
    legal_name = factory.Sequence(lambda n: f"Person{n} Testowy")
    public_name = None
    country_of_residence = "Poland"
    city_of_residence = "Białystok"

    @classmethod
    def _create(
        cls, model_class: type[Beneficiary], *args: object, **kwargs: object
    ) -> Beneficiary:
        from ngo.cases.services import reindex_names

        organisation = kwargs.pop("organisation")
        beneficiary = model_class(organisation_id=organisation.id, **kwargs)
        db.session.add(beneficiary)
        db.session.flush()
        reindex_names(beneficiary)
        persist()
        return beneficiary


# Cases: built through the services, so that every row is one the application could write -----


def blank_pdf(
    *, width: int = 595, height: int = 842, title: str | None = None, password: str | None = None
) -> bytes:
    """A real PDF of one blank page (A4 by default), with `title` in its metadata, or
    encrypted with `password`."""
    writer = PdfWriter()
    writer.add_blank_page(width=width, height=height)
    if title is not None:
        writer.add_metadata({"/Title": title})
    if password is not None:
        writer.encrypt(user_password=password, owner_password=f"{password}-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def sample_pdf() -> bytes:
    """The factories' evidence file, made once per run (the demo draws its samples with
    WeasyPrint, which costs about half a second each)."""
    return blank_pdf()


class EvidenceFactory(factory.Factory):
    """`EvidenceFactory(beneficiary=case, actor=caseworker, checked_by=verifier)`: uploaded
    through `evidence.upload_evidence`, and checked by a second person if `checked_by`."""

    class Meta:
        model = EvidenceItem

    kind = EvidenceKind.OTHER
    title = factory.Sequence(lambda n: f"Document {n} (sample)")
    data = factory.LazyFunction(sample_pdf)
    filename = factory.LazyAttribute(lambda o: f"{EvidenceKind(o.kind).value}.pdf")
    checked_by = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> EvidenceItem:
        from ngo.cases import evidence

        checked_by = kwargs.pop("checked_by")
        item = evidence.upload_evidence(**kwargs)
        if checked_by is not None:
            evidence.mark_checked(item, actor=checked_by)
        persist()
        return item


class ConsentFactory(factory.Factory):
    """`ConsentFactory(beneficiary=case, actor=caseworker, items=[ConsentItem.PHOTO])`: one
    `consent.record_consent`; returns the rows it wrote."""

    class Meta:
        model = Consent

    items = factory.LazyFunction(lambda: [ConsentItem.PUBLIC_NAME, ConsentItem.STORY])
    audiences = factory.LazyFunction(lambda: list(ConsentAudience))
    given_on = factory.LazyFunction(lambda: date.today() - timedelta(days=7))
    expires_on = None
    method = ConsentMethod.VERBAL_WITNESSED
    witness_name = "Volunteer"
    form_evidence_id = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> list[Consent]:
        from ngo.cases import consent

        rows = consent.record_consent(**kwargs)
        persist()
        return rows


class StoryVersionFactory(factory.Factory):
    """`StoryVersionFactory(beneficiary=case, actor=caseworker)`: a draft first version;
    `verified_by=verifier, evidence={CheckKind.IDENTITY: item.id, ...}` also submits it and has
    it verified with every check passed (evidence: one item for all checks by default)."""

    class Meta:
        model = StoryVersion

    title = factory.Sequence(lambda n: f"A story {n}")
    body = "He needs help with the rent."
    verified_by = None
    evidence = None
    comments = "Checked against the documents."

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> StoryVersion:
        from ngo.cases import stories, verification

        verifier = kwargs.pop("verified_by")
        evidence_ids = kwargs.pop("evidence")
        comments = kwargs.pop("comments")
        actor = kwargs["actor"]
        version = stories.start_story(**kwargs)
        if verifier is not None:
            if evidence_ids is None:
                proof = EvidenceFactory(
                    beneficiary=kwargs["beneficiary"], actor=actor, checked_by=verifier
                )
                evidence_ids = dict.fromkeys(CheckKind, proof.id)
            stories.submit_for_verification(version, actor=actor)
            verification.verify_version(
                version,
                verifier=verifier,
                approved=True,
                checks=[
                    verification.CheckResult(kind, True, evidence_ids[kind], None)
                    for kind in CheckKind
                ],
                comments=comments,
            )
        persist()
        return version


def seed_case(organisation: Organisation, caseworker: User, verifier: User) -> Beneficiary:
    """The seed appeal's person (Alexander) as the demo makes him: `demo.seed_person`, with one
    blank page for each sample PDF instead of WeasyPrint's drawing (the demo's four other cases
    are left out)."""
    case = demo.seed_person(
        organisation, caseworker, verifier, draw=lambda _title, _lines: sample_pdf()
    )
    persist()
    return case


# Appeals: through the services too (the publication gate, the safety check, four eyes) -------


class AppealFactory(factory.Factory):
    """`AppealFactory(beneficiary=case, actor=caseworker)`: a draft appeal of the person's
    verified story, with its budget `lines` (label, amount in minor units, essential), in
    `currency`. `published_by=admin` sends it for review as `actor` and publishes it through
    the gate as the second person."""

    class Meta:
        model = Appeal

    currency = "EUR"
    language = "en"
    title = factory.LazyFunction(lambda: demo.STORY_TITLE)
    lines = factory.LazyFunction(lambda: [("Rent for three months and deposit", 210_000, True)])
    published_by = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Appeal:
        from ngo.campaigns import services
        from ngo.money import Money

        lines, approver = kwargs.pop("lines"), kwargs.pop("published_by")
        actor = kwargs["actor"]
        appeal = services.create_appeal(**kwargs)
        for label, amount, essential in lines:
            services.add_budget_line(
                appeal,
                amount=Money(amount, appeal.currency),
                label=label,
                language=appeal.fallback_language,
                essential=essential,
                actor=actor,
            )
        if approver is not None:
            digest = services.submit_for_review(appeal, actor=actor)
            services.approve_and_publish(appeal, approver=approver, digest=digest)
        persist()
        return appeal


class AppealUpdateFactory(factory.Factory):
    """`AppealUpdateFactory(appeal=published, actor=caseworker)`: a draft update of a published
    appeal; `approved_by=admin` sends it for review and publishes it (followers are mailed
    after the commit)."""

    class Meta:
        model = AppealUpdate

    language = "en"
    title = factory.Sequence(lambda n: f"News {n}")
    body_markdown = "Thanks to you the rent for three months is paid."
    approved_by = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> AppealUpdate:
        from ngo.campaigns import updates

        approver = kwargs.pop("approved_by")
        update = updates.draft_update(**kwargs)
        if approver is not None:
            digest = updates.submit_update(update, actor=kwargs["actor"])
            updates.approve_update(update, approver=approver, digest=digest)
        persist()
        return update


# Donations --------------------------------------------------------------------------------


class DonorFactory(_Base):
    """`DonorFactory(organisation=org)`: a donor with an encrypted name and e-mail."""

    class Meta:
        model = Donor

    class Params:
        organisation = None

    organisation_id = factory.LazyAttribute(lambda d: (d.organisation or OrganisationFactory()).id)
    name = "Anna Kowalska"
    email = factory.Sequence(lambda n: f"donor{n}@example.org")
    email_index = factory.LazyAttribute(lambda d: donor_email_index(d.email))
    locale = "en"


class DonationFactory(_Base):
    """`DonationFactory(appeal=published)`: a pending gift of 50.00 in the appeal's currency for
    the whole appeal, by bank transfer; confirm it with donations.confirmation."""

    class Meta:
        model = Donation

    class Params:
        appeal = None

    organisation_id = factory.LazyAttribute(lambda d: d.appeal.organisation_id)
    appeal_id = factory.LazyAttribute(lambda d: d.appeal.id)
    donor = factory.LazyAttribute(lambda d: DonorFactory(organisation_id=d.organisation_id))
    amount_minor = 5_000
    currency = factory.LazyAttribute(lambda d: d.appeal.currency)
    method = "bank_transfer"


class ReceiptFactory(_Base):
    """`ReceiptFactory(donation=gift)`: receipt 2026-0003 for a gift, as issuing numbers it
    (the number is given, not drawn from the counter: tests of how a receipt reads)."""

    class Meta:
        model = Receipt

    class Params:
        donation = None

    organisation_id = factory.LazyAttribute(lambda r: r.donation.organisation_id)
    kind = "receipt"
    subject_key = factory.LazyAttribute(lambda r: f"gift:{r.donation.id}")
    year = 2026
    sequence = 3
    number = "2026-0003"
    donation_id = factory.LazyAttribute(lambda r: r.donation.id)
    donor_id = factory.LazyAttribute(lambda r: r.donation.donor_id)
    amount_minor = factory.LazyAttribute(lambda r: r.donation.amount_minor)
    currency = factory.LazyAttribute(lambda r: r.donation.currency)
