"""The chart of accounts: the names journal lines post to.

Debits are positive, credits negative. Assets and expenses (clearing, fees, spent, payouts)
carry debit balances; the funds (an appeal's lines, its reserve, the part of its gifts that paid
fees or is held back for a fee not known yet, the general fund) carry credit balances. Lines on
an appeal's fund accounts carry the appeal's id, so that

    raised(appeal)  = -(sum of its fund lines)
    funded(line)    = -(sum of "line:<id>")
    spent(line)     =   sum of "spent:<id>"
"""

from __future__ import annotations

FX = "fx"
PAYOUTS = "payouts"
GENERAL_FUND = "general"


def clearing(method: str) -> str:
    """Money received, held by the payment provider or bank until it is paid out."""
    return f"clearing:{method}"


def fees(method: str) -> str:
    """Expense: what the provider kept."""
    return f"fees:{method}"


def line_fund(budget_line_id: int) -> str:
    return f"line:{budget_line_id}"


def line_spent(budget_line_id: int) -> str:
    return f"spent:{budget_line_id}"


def appeal_reserve(appeal_id: int) -> str:
    """Given to the appeal and held for it: after giving closed, or while a treasurer decides."""
    return f"appeal:{appeal_id}:reserve"


def appeal_fees(appeal_id: int) -> str:
    """The part of the appeal's gifts that went to payment fees."""
    return f"appeal:{appeal_id}:fees"


def appeal_fee_pending(appeal_id: int) -> str:
    """Held back from a gift's lines for a payment fee not known yet (an online gift is
    confirmed before Stripe is asked what it charged): emptied when the fee is settled."""
    return f"appeal:{appeal_id}:fee-pending"


def is_fund(account: str) -> bool:
    return account.startswith(("line:", "appeal:")) or account == GENERAL_FUND
