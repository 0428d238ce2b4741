"""Money: donations online (Stripe) and offline (bank transfer, cash), bank statements and their
reconciliation, exchange rates, allocation to budget lines, disbursements with proof, and the
double-entry ledger that every one of them posts to. Moves campaigns' public counters through
campaigns' own service, in the same transaction as the journal. Uses campaigns, cases (evidence
rules for proof of payment) and accounts."""

from __future__ import annotations

from flask import Flask

from ngo import outbox


def init_app(app: Flask) -> None:
    from ngo.accounts import organisation_details
    from ngo.donations import (
        cli,
        confirmation,
        ledger,
        models,
        notifications,
        organisation_texts,
        tasks,
    )
    from ngo.donations.views import blueprints, donors, funds, gifts, settings, treasury

    del models, tasks  # imported for their tables and task names
    ledger.init_app(app)
    outbox.register_handler(app, confirmation.RECEIPT_KIND, notifications.send_receipt)
    del donors, funds, gifts  # their routes are on the blueprints' modules
    app.register_blueprint(blueprints.bp)
    app.register_blueprint(blueprints.donors_bp)
    cli.register(app)
    app.register_blueprint(settings.bp)
    # The organisation's public texts pass the publication safety check (accounts knows no case).
    app.register_blueprint(treasury.bp)
    organisation_details.register_check(app, organisation_texts.check_organisation_texts)
