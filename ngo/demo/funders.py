"""The demo funder: a foundation with a grant to the seed appeal, a monthly report
subscription with last month's report, and the demo funder login as its contact
(funder@demo.ngo.example), written through the funders' services like everything else of the
demo."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ngo.accounts.models import Organisation, Role, User
from ngo.campaigns.models import Appeal
from ngo.extensions import db
from ngo.money import Money
from ngo.reports.funders import schedule, services
from ngo.reports.funders.models import Funder
from ngo.reports.funders.periods import Frequency, due_periods, period_containing
from ngo.timeutil import utcnow

DEMO_FUNDER = "Civic Courage Foundation (demo)"


def seed_funder(organisation: Organisation, admin: User, contact: User) -> Funder | None:
    """Create the demo funder once; returns it if this call created it, else None."""
    if db.session.scalar(
        select(Funder.id).where(
            Funder.organisation_id == organisation.id, Funder.name == DEMO_FUNDER
        )
    ):
        return None
    seed = db.session.scalars(
        select(Appeal).where(Appeal.organisation_id == organisation.id).order_by(Appeal.id)
    ).first()
    if seed is None or not any(m.role == Role.FUNDER.value for m in contact.memberships):
        return None
    funder = services.create_funder(
        organisation,
        services.FunderDetails(
            name=DEMO_FUNDER,
            website="https://foundation.example",
            contact_person="Programme officer (demo)",
            contact_email=contact.email,
        ),
        actor=admin,
    )
    services.link_member(funder, contact.id, actor=admin)
    today = utcnow().date()
    last_month = period_containing(today, Frequency.MONTHLY).start - timedelta(days=1)
    services.create_grant(
        funder,
        services.GrantDetails(
            title="Emergency relocation of families (demo)",
            amount=Money(500_000, seed.currency),
            starts_on=date(last_month.year, 1, 1),
            ends_on=date(today.year + 1, 12, 31),
            appeal_ids=[seed.id],
        ),
        actor=admin,
    )
    db.session.refresh(funder)
    # Subscribed since last month, whose report is due: the worker makes it and mails it to
    # the file outbox after this commit, so the portal has a signed report to download at once.
    subscription = services.create_subscription(
        funder,
        services.SubscriptionDetails(
            frequency="monthly", language="en", recipient_ids=[funder.contacts[0].id]
        ),
        actor=admin,
        today=last_month,
    )
    for period in due_periods(subscription.next_period_start, Frequency.MONTHLY, today):
        schedule.claim_period(subscription.id, period)
    return funder
