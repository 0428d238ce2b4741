"""The demo's bank statement: a camt.053 file as a bank writes it, imported through the same
service as the treasurer's upload, so one demo gift arrives by matched bank transfer and one
transfer without a code waits in the reconciliation queue."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ngo.accounts.models import Organisation, User
from ngo.donations import bank_accounts
from ngo.donations.statement_import import import_statement

TEMPLATE = Path(__file__).parent / "content" / "statements" / "seed-camt053.xml"


def import_demo_statement(
    organisation: Organisation, treasurer: User, reference: str, days_ago: int
) -> None:
    account = bank_accounts.bank_account_for(organisation, "EUR")
    if account is None:
        raise RuntimeError("the demo organisation has no EUR account to receive transfers")
    day = date.today() - timedelta(days=days_ago)
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .split("-->", 1)[1]
        .format(
            day=day.isoformat(),
            day_compact=day.strftime("%Y%m%d"),
            iban=account.iban,
            reference=reference,
        )
    )
    import_statement(text.encode("utf-8"), f"demo-statement-{day.isoformat()}.xml", actor=treasurer)
