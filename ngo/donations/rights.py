"""Donors' rights: a copy of everything held about a donor, and erasure.

A donor is found by e-mail through the keyed blind index, within one organisation (each
organisation holds its own donors). Erasure removes the person and keeps their gifts: the name,
the e-mail and its index, every message, and the display names of their gifts (from the public
pages too) go; the donations, their amounts and the ledger stay exactly as they were, so
`ledger verify` still passes and the appeal's figures still add up. A donor with a monthly gift
still running is not erased: the provider would go on charging someone the organisation could
no longer write to. Cancel the plan first.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit, signals
from ngo.accounts.models import User
from ngo.campaigns.models import Appeal
from ngo.campaigns.visibility import bump_public_version
from ngo.donations.errors import DonorRightsError
from ngo.donations.models import Donation, Donor, Payment, RecurringPlan
from ngo.donations.models.donors import email_index
from ngo.extensions import db
from ngo.timeutil import utcnow

EXPORT_FORMAT = "ngo-donor-export/1"


def find_donor(organisation_id: int, email: str) -> Donor | None:
    """The organisation's donor with this e-mail, or None (an erased donor has none)."""
    email = (email or "").strip()
    if not email or len(email) > 254:
        return None
    return db.session.scalars(
        select(Donor)
        .where(Donor.organisation_id == organisation_id, Donor.email_index == email_index(email))
        .order_by(Donor.id)
        .limit(1)
    ).first()


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _donations(donor: Donor) -> list[Donation]:
    return list(
        db.session.scalars(
            select(Donation).where(Donation.donor_id == donor.id).order_by(Donation.id)
        )
    )


def _plans(donor: Donor) -> list[RecurringPlan]:
    return list(
        db.session.scalars(
            select(RecurringPlan)
            .where(RecurringPlan.donor_id == donor.id)
            .order_by(RecurringPlan.id)
        )
    )


def export_payload(donor: Donor) -> dict[str, Any]:
    donations = _donations(donor)
    appeal_ids = {d.appeal_id for d in donations}
    slugs = dict(
        db.session.execute(select(Appeal.id, Appeal.slug).where(Appeal.id.in_(appeal_ids))).all()
    )
    payments: dict[int, list[Payment]] = {}
    for payment in db.session.scalars(
        select(Payment)
        .where(Payment.donation_id.in_([d.id for d in donations]))
        .order_by(Payment.id)
    ):
        payments.setdefault(payment.donation_id, []).append(payment)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "donor": {
            "name": donor.name,
            "email": donor.email,
            "language": donor.locale,
            "wants_updates": donor.wants_updates,
            "created_at": _iso(donor.created_at),
            "erased_at": _iso(donor.erased_at),
        },
        "donations": [
            {
                "id": d.public_id,
                "appeal": slugs.get(d.appeal_id),
                "budget_line": d.budget_line_id,
                "amount_minor": d.amount_minor,
                "currency": d.currency,
                "fee_covered_minor": d.fee_covered_minor,
                "method": d.method,
                "frequency": d.frequency,
                "status": d.status,
                "fee_minor": d.fee_minor,
                "appeal_amount_minor": d.appeal_amount_minor,
                "rate": d.rate,
                "rate_date": _iso(d.rate_date),
                "display_name": d.display_name,
                "message": d.message,
                "reference_code": d.reference_code,
                "receipt_code": d.receipt_code,
                "received_on": _iso(d.received_on),
                "created_at": _iso(d.created_at),
                "confirmed_at": _iso(d.confirmed_at),
                "returned_minor": d.reversed_minor,
                "payments": [
                    {
                        "provider": p.provider,
                        "kind": p.kind,
                        "id": p.external_id,
                        "amount_minor": p.amount_minor,
                        "currency": p.currency,
                        "created_at": _iso(p.created_at),
                    }
                    for p in payments.get(d.id, [])
                ],
            }
            for d in donations
        ],
        "monthly_gifts": [
            {
                "id": p.public_id,
                "appeal": slugs.get(p.appeal_id),
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "provider": p.provider,
                "display_name": p.display_name,
                "created_at": _iso(p.created_at),
                "cancelled_at": _iso(p.cancelled_at),
            }
            for p in _plans(donor)
        ],
    }


def export_donor(donor: Donor, *, actor: User | None) -> bytes:
    """Everything held about the donor as JSON (UTF-8); the export is audited (counts only).
    Staff who recorded or approved a gift are not named: it is the donor's data."""
    payload = export_payload(donor)
    audit.record_change(donor, actor, "donor.exported", donations=len(payload["donations"]))
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def erase_donor(donor: Donor, *, actor: User | None) -> bool:
    """Remove the person and keep the gifts; True if erased now, False if they had been."""
    plans = _plans(donor)
    if any(plan.active for plan in plans):
        raise DonorRightsError(
            _l(
                "This donor has a monthly gift still running. Cancel it first, so that nobody "
                "is charged after their data is gone."
            )
        )
    first_time = donor.erased_at is None
    donations = _donations(donor)
    shown_publicly = any(d.display_name for d in donations) or any(p.display_name for p in plans)
    donor.name = None
    donor.email = None
    donor.email_index = None
    donor.wants_updates = False
    for donation in donations:
        donation.message = None
        donation.display_name = None
        donation.note = None
    for plan in plans:
        plan.display_name = None
    if first_time:
        donor.erased_at = utcnow()
    db.session.flush()
    signals.donor_erased.send(donor, actor_id=actor.id if actor is not None else None)
    if shown_publicly:
        # The public ledger showed their chosen names: no cached page may keep them.
        bump_public_version(db.session())
    if first_time:
        audit.record_change(donor, actor, "donor.erased", donations=len(donations))
    return first_time
