"""Erasure of a case reaches its appeals' payments out (receives `ngo.signals.case_erased`).

A payee note or an override reason may name the person or their address ("rent for the flat at
..."), so both go; the payments, their public descriptions (checked for the person's private
values when written) and the ledger stay, as financial records. Donors' own data is erased by
the donor's request instead (donations.rights)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ngo.campaigns.models import Appeal
from ngo.donations.models import Disbursement
from ngo.extensions import db


def erase_payment_notes(beneficiary: Any, **_: object) -> None:
    appeals = select(Appeal.id).where(Appeal.beneficiary_id == beneficiary.id)
    db.session.execute(
        update(Disbursement)
        .where(Disbursement.appeal_id.in_(appeals))
        .values(payee_note=None, override_reason=None)
        .execution_options(synchronize_session="fetch")
    )
