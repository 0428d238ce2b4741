"""Receipts: a numbered PDF for every confirmed gift, a cancellation note for every refund or
chargeback, and an annual consolidated receipt per donor and year; rendered, stored and
e-mailed by the worker, downloadable again from the donor's signed link and by the treasurer.

The donations domain asks for them through the outbox (`donations.receipt`,
`donations.refunded`) without knowing this package: its handlers, and the lookup that shows
receipt numbers on the treasurer's pages, are registered here."""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, url_for
from sqlalchemy import select

from ngo import outbox, signals
from ngo.celery_app import register_warm_up
from ngo.donations import receipt_links
from ngo.donations.confirmation import RECEIPT_KIND, REFUNDED_KIND
from ngo.extensions import db

# An IN list per query at most this long (SQLite allows some 32,000 parameters).
_LOOKUP_CHUNK = 1000


def init_app(app: Flask) -> None:
    from ngo.reports.receipts import annual, delivery, document, erasure, models, views

    del models, annual  # imported for their tables and task names
    refused = delivery.record_refused_mail
    outbox.register_handler(app, RECEIPT_KIND, delivery.send_receipt, on_permanent_failure=refused)
    outbox.register_handler(
        app, REFUNDED_KIND, delivery.send_cancellation, on_permanent_failure=refused
    )
    outbox.register_handler(
        app,
        delivery.ANNUAL_KIND,
        delivery.send_annual_receipt,
        on_permanent_failure=delivery.record_refused_annual,
    )
    receipt_links.register_receipt_lookup(app, documents_of_gifts)
    register_warm_up(app, document.warm_up)
    signals.donor_erased.connect(erasure.forget_donor_in_receipts)
    app.register_blueprint(views.bp)


def documents_of_gifts(donation_ids: Collection[int]) -> dict[int, list[receipt_links.ReceiptRef]]:
    from ngo.reports.receipts.models import Receipt, ReceiptKind

    ids = sorted(donation_ids)
    found: dict[int, list[receipt_links.ReceiptRef]] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        rows = db.session.execute(
            select(
                Receipt.donation_id,
                Receipt.kind,
                Receipt.number,
                Receipt.public_id,
                Receipt.pdf_sha256,
            )
            .where(
                Receipt.donation_id.in_(ids[start : start + _LOOKUP_CHUNK]),
                Receipt.kind.in_([ReceiptKind.RECEIPT.value, ReceiptKind.CANCELLATION.value]),
            )
            .order_by(Receipt.donation_id, Receipt.kind.desc(), Receipt.id)
        )
        for donation_id, kind, number, public_id, sha in rows:
            if donation_id is None:  # the query names gifts: never, but the column may be
                continue
            url = url_for("receipts.staff_download", receipt_id=public_id) if sha else None
            found.setdefault(donation_id, []).append(receipt_links.ReceiptRef(kind, number, url))
        for donation_id, ref in _refused_annual_receipts(ids[start : start + _LOOKUP_CHUNK]):
            found.setdefault(donation_id, []).append(ref)
    return found


def _refused_annual_receipts(
    donation_ids: list[int],
) -> list[tuple[int, receipt_links.ReceiptRef]]:
    """The annual receipts whose e-mail was refused, beside each gift of their year: the
    treasurer then knows the donor did not get it (rare: the query finds almost nothing)."""
    from ngo.donations.models import Donation
    from ngo.reports.receipts.document import annual_year
    from ngo.reports.receipts.models import Receipt, ReceiptKind

    rows = db.session.execute(
        select(Donation.id, Donation.confirmed_at, Receipt)
        .join(Receipt, Receipt.donor_id == Donation.donor_id)
        .where(
            Donation.id.in_(donation_ids),
            Receipt.kind == ReceiptKind.ANNUAL.value,
            Receipt.mail_failed_at.is_not(None),
        )
        .order_by(Donation.id, Receipt.id)
    )
    refs = []
    for donation_id, confirmed_at, receipt in rows:
        if confirmed_at is None or confirmed_at.year != annual_year(receipt):
            continue
        url = url_for("receipts.staff_download", receipt_id=receipt.public_id)
        ref = receipt_links.ReceiptRef(
            receipt.kind,
            receipt.number,
            url if receipt.pdf_sha256 else None,
            mail_failed_at=receipt.mail_failed_at,
            mail_failure=receipt.mail_failure,
        )
        refs.append((donation_id, ref))
    return refs
