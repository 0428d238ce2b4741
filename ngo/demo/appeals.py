"""The seed appeal for `make run`: Alexander's family, "€231 of €4,400" in four lines
(shared/seed-appeal.txt), drafted by a caseworker and published by a second person through the
real publication gate; then the other demo appeals (demo.more_appeals).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ngo.accounts.models import Organisation, Role, User
from ngo.campaigns import cover, services, visibility
from ngo.campaigns.models import (
    Appeal,
    Category,
)
from ngo.cases import consent
from ngo.cases.models import (
    Beneficiary,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
)
from ngo.demo import cover_art
from ngo.demo.cases import STORY_TITLE
from ngo.demo.documents import tiny_pdf
from ngo.demo.gifts import demo_gift, pending_transfer
from ngo.demo.more_appeals import demo_appeals, seed_more_appeals, staff_of
from ngo.demo.spending import demo_payment
from ngo.demo.statements import import_demo_statement
from ngo.donations.models import ExchangeRate, Frequency, PaymentMethod
from ngo.extensions import db
from ngo.money import Money

__all__ = ["SEED_BUDGET", "demo_appeals", "seed_appeal", "tiny_pdf"]

SEED_BUDGET = [
    ("Rent for three months and deposit", 210_000, True),
    ("Basic necessities, clothes and shoes for all in season", 100_000, True),
    ("Food, household expenses for the first time, school supplies", 70_000, True),
    ("Retraining and the code 95 exam to work as an international driver", 60_000, False),
]
# The seed appeal's summary on cards and in link previews: only what the person consented to
# publish (no city, no family names).
SEED_SUMMARY = (
    "A former political prisoner from Belarus, now safe in Poland with his wife and son, asks "
    "for help with rent, clothes and food for the first months, until he may work as an "
    "international driver again."
)
# What the five demo gifts add up to (_seed_gifts), the figure of the real appeal.
SEED_RAISED_MINOR = 23_100


def seed_appeal(organisation: Organisation) -> Appeal | None:
    """Publish the seed appeal once, then add whichever other demo appeals are missing.

    Returns the seed appeal if this call created it, else None."""
    appeal = _seed_alexander(organisation)
    seed_more_appeals(organisation)
    return appeal


def _seed_alexander(organisation: Organisation) -> Appeal | None:
    """Draft, check and publish the seed appeal: a caseworker drafts, a verifier approves."""
    if db.session.scalar(
        select(Appeal.id).where(Appeal.organisation_id == organisation.id).limit(1)
    ):
        return None
    staff = staff_of(organisation)
    caseworker, verifier = staff[Role.CASEWORKER.value], staff[Role.VERIFIER.value]
    alexander = db.session.scalars(
        select(Beneficiary)
        .where(Beneficiary.organisation_id == organisation.id)
        .order_by(Beneficiary.id)
        .limit(1)
    ).first()
    if alexander is None:
        return None
    appeal = services.create_appeal(
        alexander, currency="EUR", language="en", title=STORY_TITLE, actor=caseworker
    )
    text = appeal.translations[0]
    services.set_translation(
        appeal,
        "en",
        title=text.title,
        summary=SEED_SUMMARY,
        story_markdown=text.story_markdown,
        display_name=text.display_name,
        actor=caseworker,
    )
    appeal.category_list = [Category.POLITICAL_PRISONERS, Category.FAMILIES, Category.RELOCATION]
    appeal.country = "PL"
    lines = []
    for priority, (label, amount, essential) in enumerate(SEED_BUDGET, start=1):
        lines.append(
            services.add_budget_line(
                appeal,
                amount=Money(amount, "EUR"),
                label=label,
                language="en",
                essential=essential,
                priority=priority,
                actor=caseworker,
            )
        )
    # The cover is a drawing (demo.cover_art); a real one would be the person's photo, which
    # needs its own consent to the public page, recorded when the caseworker adds it.
    consent.record_consent(
        alexander,
        items=[ConsentItem.PHOTO],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date.today() - timedelta(days=6),
        expires_on=None,
        method=ConsentMethod.SIGNED_FORM,
        witness_name=None,
        form_evidence_id=db.session.scalar(
            select(EvidenceItem.id)
            .where(
                EvidenceItem.beneficiary_id == alexander.id,
                EvidenceItem.kind == EvidenceKind.CONSENT_FORM.value,
            )
            .limit(1)
        ),
        actor=caseworker,
    )
    cover.set_cover_photo(
        appeal, image_bytes=cover_art.cover_jpeg(), alt_text=cover_art.ALT_TEXT, actor=caseworker
    )
    digest = services.submit_for_review(appeal, actor=caseworker)
    services.approve_and_publish(appeal, approver=verifier, digest=digest)
    _seed_gifts(appeal, staff[Role.TREASURER.value])
    _seed_spending(appeal, staff)
    db.session.flush()
    visibility.refresh_public_state(appeal)
    return appeal


def _seed_gifts(appeal: Appeal, treasurer: User) -> None:
    """€231 from five gifts, funding the rent line first (the priority rule): by card with a
    display name, a monthly card gift, an anonymous one, zł212.50 by BLIK (€50.00 at the demo's
    ECB rate of 4.25), and €41 by bank transfer, matched from a camt.053 statement."""
    rate_day = date.today() - timedelta(days=5)
    if (
        db.session.scalar(
            select(ExchangeRate.id).where(
                ExchangeRate.currency == "PLN", ExchangeRate.rate_date == rate_day
            )
        )
        is None
    ):
        db.session.add(
            ExchangeRate(currency="PLN", rate=Decimal("4.25"), rate_date=rate_day, source="ecb")
        )
    demo_gift(
        appeal,
        10_000,
        fee_minor=175,
        display_name="Marta from Kraków",
        donor_email="marta.donor@example.org",
        donor_name="Marta Nowak",
        locale="pl",
        days_ago=12,
    )
    demo_gift(
        appeal,
        2_000,
        fee_minor=55,
        frequency=Frequency.MONTHLY,
        donor_email="monthly.donor@example.org",
        days_ago=9,
    )
    demo_gift(appeal, 2_000, fee_minor=55, days_ago=6)  # anonymous: no name, no display name
    demo_gift(
        appeal,
        21_250,
        currency="PLN",
        method=PaymentMethod.BLIK,
        fee_minor=425,
        donor_email="blik.donor@example.org",
        locale="pl",
        days_ago=4,
    )
    transfer = pending_transfer(appeal, 4_100, donor_email="transfer.donor@example.org")
    import_demo_statement(
        db.session.get_one(Organisation, appeal.organisation_id),
        treasurer,
        transfer.reference_code or "",
        days_ago=2,
    )


def _seed_spending(appeal: Appeal, staff: dict[str, User]) -> None:
    """The first month's rent paid to the landlord from the rent line, less than it holds."""
    rent = min(appeal.budget_lines, key=lambda line: line.priority)
    demo_payment(
        appeal,
        rent,
        15_000,
        recorder=staff[Role.TREASURER.value],
        approver=staff[Role.ADMIN.value],
        days_ago=1,
        description="First month's rent",
        payee_note="Landlord (demo)",
    )
