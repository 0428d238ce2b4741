"""Cases: beneficiaries, household, consent, evidence, stories, verification and the rights of
the person (export, erasure). Uses accounts; announces its changes to the domains above it
through `ngo.signals` and imports none of them."""

from __future__ import annotations

from flask import Flask

from ngo.extensions import listen


def init_app(app: Flask) -> None:
    from sqlalchemy.orm import Session

    from ngo import audit_reading
    from ngo.cases import audit_names, changes, cli, evidence, images, views

    # The modules of routes on views.bp.
    from ngo.cases.views import cases, consent, rights, stories  # noqa: F401
    from ngo.cases.views import evidence as evidence_views  # noqa: F401

    images.init_app(app)
    evidence.init_app()
    listen(Session, "after_flush", changes.announce_changes)
    audit_reading.register_object_type(
        app,
        audit_reading.ObjectType("case", names=audit_names.case_names, find=audit_names.find_case),
    )
    app.register_blueprint(views.bp)
    cli.register(app)
