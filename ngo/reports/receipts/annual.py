"""The annual consolidated receipts, sent by beat in January for the year before.

Beat runs the task every day of January at 06:00 (worker/beat.py), not once: a beat or worker
that was down on the 2nd sends them on its first day back. Each run asks, through the outbox,
for the receipts of donors who have none sent yet and none asked for already, so the days after
the first find nothing to do; the handler issues each (donor, year) once whatever happens.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from ngo import outbox
from ngo.donations.models import Donor
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from ngo.reports.receipts import issuing
from ngo.reports.receipts.delivery import ANNUAL_KIND
from ngo.reports.receipts.models import Receipt, ReceiptKind
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction


def request_annual_receipts(year: int) -> int:
    """Enqueue the annual receipt of each donor with gifts in `year` and an e-mail address
    that has not had it; in the caller's transaction. Returns how many were asked for."""
    donor_ids = set(issuing.donors_with_gifts_in(year))
    reachable = set(
        db.session.scalars(
            select(Donor.id).where(Donor.id.in_(donor_ids), Donor.email_index.is_not(None))
        )
    )
    sent = set(
        db.session.scalars(
            select(Receipt.donor_id).where(
                Receipt.kind == ReceiptKind.ANNUAL.value,
                Receipt.subject_key.like(f"annual:%:{year}"),
                Receipt.emailed_at.is_not(None),
            )
        )
    )
    waiting = {
        int(message.payload["donor_id"])
        for message in db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == ANNUAL_KIND, OutboxMessage.sent_at.is_(None)
            )
        )
        if message.payload.get("year") == year
    }
    wanted = sorted(reachable - sent - waiting)
    for donor_id in wanted:
        outbox.enqueue(ANNUAL_KIND, {"donor_id": donor_id, "year": year})
    return len(wanted)


@shared_task(name="reports.send_annual_receipts")
def send_annual_receipts_task() -> int:
    with transaction():
        return request_annual_receipts(utcnow().year - 1)
