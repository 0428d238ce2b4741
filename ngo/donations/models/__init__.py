"""The donations domain's models, one module per subject."""

from ngo.donations.models.bank_accounts import BankAccount
from ngo.donations.models.rates import DecimalText, ExchangeRate, RateFetchFailure, RateSource

__all__ = ["BankAccount", "DecimalText", "ExchangeRate", "RateFetchFailure", "RateSource"]
