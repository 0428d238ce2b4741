"""The receipt numbers and downloads the treasurer sees beside each gift (list, gift page,
CSV export). Receipts belong to the reports domain, above this one: it registers the lookup
here in its init_app (`register_receipt_lookup`), and donations asks through `receipts_for`
and `documents_for` without importing it. With nothing registered a gift shows no receipt."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app


@dataclass(frozen=True)
class ReceiptRef:
    kind: str  # "receipt", "cancellation", or "annual" (one whose e-mail was refused)
    number: str
    # The staff download, or None while the PDF is still being rendered.
    download_url: str | None
    # An annual receipt's e-mail refused for good, and the safe reason ("SMTP 550").
    mail_failed_at: datetime | None = None
    mail_failure: str | None = None


# donation ids -> each gift's documents, its receipt first, then its cancellation notes, then
# its year's annual receipt if the donor's mail server refused it.
ReceiptLookup = Callable[[Collection[int]], dict[int, list[ReceiptRef]]]
_LOOKUP = "ngo.donations.receipt_lookup"


def register_receipt_lookup(app: Flask, lookup: ReceiptLookup) -> None:
    """Called once per page or export, with every gift on it."""
    app.extensions[_LOOKUP] = lookup


def documents_for(donation_ids: Collection[int]) -> dict[int, list[ReceiptRef]]:
    lookup: ReceiptLookup | None = current_app.extensions.get(_LOOKUP)
    if lookup is None or not donation_ids:
        return {}
    return lookup(donation_ids)


def receipts_for(donation_ids: Collection[int]) -> dict[int, ReceiptRef]:
    """Each gift's receipt (not its cancellation notes)."""
    return {
        donation_id: documents[0]
        for donation_id, documents in documents_for(donation_ids).items()
        if documents and documents[0].kind == "receipt"
    }
