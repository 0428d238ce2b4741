"""Money: donations online (Stripe) and offline (bank transfer, cash), bank statements and their
reconciliation, exchange rates, allocation to budget lines, disbursements with proof, and the
double-entry ledger that every one of them posts to. Moves campaigns' public counters through
campaigns' own service, in the same transaction as the journal. Uses campaigns, cases (evidence
rules for proof of payment) and accounts."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ngo.donations import cli

    cli.register(app)
