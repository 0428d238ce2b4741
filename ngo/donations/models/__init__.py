"""Donors, donations and payments, and the ledger they post to."""

from ngo.donations.models.donations import (
    Donation,
    DonationStatus,
    Frequency,
    Payment,
    PaymentMethod,
    RecurringPlan,
)
from ngo.donations.models.donors import Donor
from ngo.donations.models.events import ProviderEvent
from ngo.donations.models.ledger import JournalLine, LedgerCheckpoint, LedgerTransaction

__all__ = [
    "Donation",
    "DonationStatus",
    "Donor",
    "Frequency",
    "JournalLine",
    "LedgerCheckpoint",
    "LedgerTransaction",
    "Payment",
    "PaymentMethod",
    "ProviderEvent",
    "RecurringPlan",
]
