"""Donors, donations and payments, and the ledger they post to; the organisations' bank
accounts and the exchange rates."""

from ngo.donations.models.bank_accounts import BankAccount
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
from ngo.donations.models.rates import DecimalText, ExchangeRate, RateFetchFailure, RateSource
from ngo.donations.models.statements import (
    LineStatus,
    QueueReason,
    StatementImport,
    StatementLine,
    StatementMapping,
)

__all__ = [
    "BankAccount",
    "DecimalText",
    "Donation",
    "DonationStatus",
    "Donor",
    "ExchangeRate",
    "Frequency",
    "JournalLine",
    "LedgerCheckpoint",
    "LedgerTransaction",
    "LineStatus",
    "Payment",
    "PaymentMethod",
    "QueueReason",
    "RateFetchFailure",
    "RateSource",
    "RecurringPlan",
    "StatementImport",
    "StatementLine",
    "StatementMapping",
]
