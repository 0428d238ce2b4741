"""Appeals, the staff write side: drafting, budgets, safe publication, updates, concerns, and
the stored listing the public side reads. Uses cases and accounts."""

from __future__ import annotations

from flask import Flask

from ngo import outbox, signals


def init_app(app: Flask) -> None:
    from ngo import audit_reading, audit_related
    from ngo.campaigns import (
        audit_names,
        cli,
        erasure,
        notifications,
        search,
        story_checks,
        views,
        visibility,
    )
    from ngo.cases.story_checks import register_story_checker

    search.init_app(app)
    visibility.init_app()
    signals.case_erased.connect(erasure.erase_public_copies)
    for kind, handler in notifications.HANDLERS.items():
        outbox.register_handler(
            app,
            kind,
            handler,
            on_permanent_failure=notifications.ON_PERMANENT_FAILURE.get(kind),
        )
    audit_reading.register_object_type(
        app, audit_reading.ObjectType("appeal", names=audit_names.appeal_titles)
    )
    audit_related.register_related_objects(app, "case", audit_names.case_appeals)
    register_story_checker(app, story_checks.check_story)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.concerns_bp)
    cli.register(app)
