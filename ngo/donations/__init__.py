"""Money: donations online (Stripe) and offline (bank transfer, cash), bank statements and their
reconciliation, exchange rates, allocation to budget lines, disbursements with proof, and the
double-entry ledger that every one of them posts to. Moves campaigns' public counters through
campaigns' own service, in the same transaction as the journal. Uses campaigns, cases (evidence
rules for proof of payment) and accounts."""

from __future__ import annotations

from flask import Flask

from ngo import outbox, signals


def init_app(app: Flask) -> None:
    from ngo.accounts import organisation_details
    from ngo.donations import (
        audit_names,
        cli,
        erasure,
        fees,
        giving,
        ledger,
        models,
        organisation_texts,
        stripe_settle,
        tasks,
    )
    from ngo.donations.views import (
        blueprints,
        donors,
        funds,
        gifts,
        public,
        public_ledger,
        settings,
        staff_disbursements,
        treasury,
        webhooks,
    )

    del models, tasks  # imported for their tables and task names
    # Refuse to start with a malformed fee rule or maximum, not at a donor's first gift.
    fees.parse_fee_rule(str(app.config.get("FEE_RULE") or fees.DEFAULT_FEE_RULE))
    giving.parse_max_donation(str(app.config.get("MAX_DONATION_MINOR") or "1000000"))
    ledger.init_app(app)
    # The fee Stripe charged for a gift, read by the worker after the webhook confirmed it.
    outbox.register_handler(app, stripe_settle.FEE_KIND, stripe_settle.settle_stripe_fee)
    audit_names.register(app)
    signals.case_erased.connect(erasure.erase_payment_notes)
    app.register_blueprint(public.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(staff_disbursements.bp)
    app.register_blueprint(public_ledger.bp)
    del donors, funds, gifts  # their routes are on the blueprints' modules
    app.register_blueprint(blueprints.bp)
    app.register_blueprint(blueprints.donors_bp)
    cli.register(app)
    app.register_blueprint(settings.bp)
    # The organisation's public texts pass the publication safety check (accounts knows no case).
    app.register_blueprint(treasury.bp)
    organisation_details.register_check(app, organisation_texts.check_organisation_texts)
