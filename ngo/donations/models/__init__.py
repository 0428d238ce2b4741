"""Donors, donations and payments, and the ledger they post to."""

from ngo.donations.models.disbursements import Disbursement, DisbursementStatus, PayeeKind
from ngo.donations.models.donations import (
    Donation,
    DonationStatus,
    Frequency,
    Payment,
    PaymentMethod,
    RecurringPlan,
)
from ngo.donations.models.donors import Donor
from ngo.donations.models.ledger import JournalLine, LedgerCheckpoint, LedgerTransaction

__all__ = [
    "Disbursement",
    "DisbursementStatus",
    "Donation",
    "DonationStatus",
    "Donor",
    "Frequency",
    "JournalLine",
    "LedgerCheckpoint",
    "LedgerTransaction",
    "PayeeKind",
    "Payment",
    "PaymentMethod",
    "RecurringPlan",
]
