"""The seed appeal for `make run`: Alexander's family, "€231 of €4,400" in four lines."""

from __future__ import annotations

from sqlalchemy import select

from ngo.accounts.models import Organisation, Role
from ngo.campaigns import services
from ngo.campaigns.models import Appeal, Category
from ngo.cases.demo import STORY_TITLE
from ngo.cases.models import Beneficiary
from ngo.extensions import db
from ngo.money import Money

SEED_BUDGET = [
    ("Rent for three months and deposit", 210_000, True),
    ("Basic necessities, clothes and shoes for all in season", 100_000, True),
    ("Food, household expenses for the first time, school supplies", 70_000, True),
    ("Retraining and the code 95 exam to work as an international driver", 60_000, False),
]
SEED_RAISED_MINOR = 23_100


def seed_appeal(organisation: Organisation) -> Appeal | None:
    """Draft, check and publish the seed appeal, once: a caseworker drafts, a verifier approves."""
    if db.session.scalar(
        select(Appeal.id).where(Appeal.organisation_id == organisation.id).limit(1)
    ):
        return None
    staff = {m.role: m.user for m in organisation.memberships}
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
    for priority, (label, amount, essential) in enumerate(SEED_BUDGET, start=1):
        services.add_budget_line(
            appeal,
            amount=Money(amount, "EUR"),
            label=label,
            language="en",
            essential=essential,
            priority=priority,
            actor=caseworker,
        )
    services.submit_for_review(appeal, actor=caseworker)
    services.approve_and_publish(appeal, approver=verifier)
    # The donations issue records real gifts; the demo shows the seed appeal's progress.
    appeal.raised_minor = SEED_RAISED_MINOR
    db.session.flush()
    return appeal
