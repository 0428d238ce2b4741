"""A donor's erasure reaches their receipts: the stored PDFs name them, so they are dropped.
The receipts themselves stay (number, amount, SHA-256 of what was issued): the numbering has
no gap and the books still match. A copy asked for later is drawn again from the records, now
with "Anonymous donor", and is not stored; the donor's signed link stops working."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from ngo.donations.models import Donor
from ngo.extensions import db
from ngo.reports.receipts.models import Receipt


def forget_donor_in_receipts(donor: Donor, **_kwargs: Any) -> None:
    db.session.execute(
        update(Receipt)
        .where(Receipt.donor_id == donor.id, Receipt.pdf.is_not(None))
        .values(pdf=None)
        .execution_options(synchronize_session=False)
    )
    for record in list(db.session.identity_map.values()):
        if isinstance(record, Receipt) and record.donor_id == donor.id:
            db.session.expire(record, ["pdf"])
