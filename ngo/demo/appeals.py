"""The seed appeal for `make run`: Alexander's family, "€231 of €4,400" in four lines
(shared/seed-appeal.txt), drafted by a caseworker and published by a second person through the
real publication gate; then the other demo appeals (demo.more_appeals).
"""

from __future__ import annotations

from sqlalchemy import select

from ngo.accounts.models import Organisation, Role
from ngo.campaigns import services, visibility
from ngo.campaigns.models import (
    Appeal,
    Category,
)
from ngo.cases.models import (
    Beneficiary,
)
from ngo.demo.cases import STORY_TITLE
from ngo.demo.more_appeals import demo_appeals, seed_more_appeals, staff_of, tiny_pdf
from ngo.extensions import db
from ngo.money import Money

__all__ = ["SEED_BUDGET", "demo_appeals", "seed_appeal", "tiny_pdf"]

SEED_BUDGET = [
    ("Rent for three months and deposit", 210_000, True),
    ("Basic necessities, clothes and shoes for all in season", 100_000, True),
    ("Food, household expenses for the first time, school supplies", 70_000, True),
    ("Retraining and the code 95 exam to work as an international driver", 60_000, False),
]
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
    digest = services.submit_for_review(appeal, actor=caseworker)
    services.approve_and_publish(appeal, approver=verifier, digest=digest)
    # The donations issue records real gifts; the demo shows the seed appeal's progress, given
    # so far to the first line (rent), as gifts are spent by priority.
    appeal.raised_minor = SEED_RAISED_MINOR
    lines[0].funded_minor = SEED_RAISED_MINOR
    db.session.flush()
    visibility.refresh_public_state(appeal)
    return appeal
